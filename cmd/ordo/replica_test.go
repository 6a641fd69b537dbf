package main_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/testkit"
)

// ordo serve with a streaming standby as DATABASE_REPLICA_URL: lists are
// served by the replica (metrics), a create is seen by the list right
// after it even with the replica's replay paused (read-your-writes),
// /readyz and metrics report the replica, and stopping the replica under
// load fails no request (/readyz then says degraded, still 200).
func TestReadReplicaServe(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	primary := testkit.StartPostgres(t)
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	const token = "replica-metrics-token"
	env := []string{
		"DATABASE_URL=" + primary.URL(),
		"ORDO_SECRET=" + strings.Repeat("r", 40),
		"ORDO_METRICS_TOKEN=" + token,
		// The load below is one client's.
		"ORDO_API_RATE_PER_MINUTE=1000000", "ORDO_API_RATE_BURST=100000",
		fmt.Sprintf("PORT=%d", port),
	}
	key := seededKey(t, dir, env, 5)
	standby := primary.StartStandby(t)
	env = append(env, "DATABASE_REPLICA_URL="+standby.URL(), "DATABASE_REPLICA_MAX_LAG=2s")
	start(t, dir, env, "serve")
	body := waitStatus(t, base+"/readyz", 200, 20*time.Second)
	if checks, _ := body["checks"].(map[string]any); checks["replicas"] == nil {
		t.Errorf("readyz does not report the replica: %v", body)
	}

	list := func() (int, int) {
		code, l := api(t, "GET", base+"/api/v1/orders?limit=200", key, nil)
		data, _ := l["data"].([]any)
		return code, len(data)
	}
	replicaReads := func() int {
		req, _ := http.NewRequest("GET", base+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		testkit.CheckMetrics(t, b) // promtool: the replica metrics are well formed
		m := regexp.MustCompile(`ordo_db_replica_reads_total\{target="replica-1"\} (\d+)`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("no replica reads metric in:\n%s", b)
		}
		n, _ := strconv.Atoi(string(m[1]))
		return n
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		before := replicaReads()
		if code, n := list(); code == 200 && n == 5 && replicaReads() > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replica served no list within 15 s")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Replay paused: the replica cannot have the new order, yet the list
	// right after the create shows it.
	sb, err := pgx.Connect(context.Background(), standby.URL())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Exec(context.Background(), `SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}
	code, created := api(t, "POST", base+"/api/v1/orders", key, map[string]any{
		"customer_name": "Fresh Frida", "customer_email": "frida@example.com", "currency": "EUR",
		"items": []map[string]any{{"name": "Widget", "quantity": 1, "unit_price": 100}},
	})
	if code != 201 {
		t.Fatalf("create order: %d %v", code, created)
	}
	if code, n := list(); code != 200 || n != 6 {
		t.Errorf("list right after the create: %d, %d orders, want 6 (read-your-writes)", code, n)
	}
	if _, err := sb.Exec(context.Background(), `SELECT pg_wal_replay_resume()`); err != nil {
		t.Fatal(err)
	}
	sb.Close(context.Background())

	// The replica stopped under load: no request fails.
	var (
		wg            sync.WaitGroup
		stop          atomic.Bool
		total, failed atomic.Int64
	)
	for range 3 {
		wg.Go(func() {
			for !stop.Load() {
				total.Add(1)
				if code, n := list(); code != 200 || n != 6 {
					failed.Add(1)
					t.Errorf("list while the replica stops: %d, %d orders", code, n)
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	time.Sleep(500 * time.Millisecond)
	standby.Stop(t)
	time.Sleep(time.Second)
	stop.Store(true)
	wg.Wait()
	t.Logf("%d lists while the replica stopped, %d failed", total.Load(), failed.Load())
	body = waitStatus(t, base+"/readyz", 200, 5*time.Second)
	if r, _ := body["checks"].(map[string]any)["replicas"].(map[string]any); r["status"] != "degraded" || !strings.Contains(fmt.Sprint(r["detail"]), "replica-1 down") {
		t.Errorf("readyz with the replica stopped: %v", body)
	}
}
