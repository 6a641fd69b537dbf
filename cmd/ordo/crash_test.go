package main_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/testkit"
)

// api calls Ordo's API with a key and decodes the JSON answer.
func api(t *testing.T, method, url, key string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// fetch downloads url.
func fetch(t *testing.T, url string) []byte {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
	return b
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *process) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("ordo did not die of SIGKILL")
	}
}

// A worker killed with SIGKILL in the middle of an export: once a worker
// runs again the export is retried and completes once, with a complete
// file, no orphan object or unfinished upload, and no job left running.
// On SQLite (embedded serve, which is its own worker) with local disk, and
// on PostgreSQL with a separate worker and S3.
func TestKillMidExport(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	const orders = 20000
	for _, mode := range []string{"sqlite", "postgres+s3"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			port := freePort(t)
			base := fmt.Sprintf("http://127.0.0.1:%d", port)
			env := []string{fmt.Sprintf("PORT=%d", port), "ORDO_LOG_LEVEL=warn", "ORDO_API_RATE_PER_MINUTE=1000000", "ORDO_API_RATE_BURST=100000"}
			var dbURL string
			var s3c *s3.Client
			if mode != "sqlite" {
				srv := testkit.S3Server(t)
				dbURL = testkit.PostgresURL(t)
				env = append(env, "DATABASE_URL="+dbURL, "S3_ENDPOINT="+srv.Endpoint, "S3_BUCKET=ordo-crash",
					"S3_ACCESS_KEY_ID="+srv.AccessKey, "S3_SECRET_ACCESS_KEY="+srv.SecretKey, "S3_FORCE_PATH_STYLE=true",
					"S3_CREATE_BUCKET=true", "ORDO_SECRET="+strings.Repeat("k", 40),
					// An export of a dead worker is rescued after this long.
					"ORDO_JOB_RESCUE_AFTER=2s", "ORDO_EXPORT_TIMEOUT=8s")
				s3c = s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.Endpoint), UsePathStyle: true,
					Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, "")})
			}
			key := seededKey(t, dir, env, orders)

			web := start(t, dir, env, "serve")
			worker := web // embedded: serve works the jobs
			if mode != "sqlite" {
				worker = start(t, dir, env, "worker")
			}
			waitStatus(t, base+"/readyz", 200, 20*time.Second)

			code, exp := api(t, "POST", base+"/api/v1/orders/export", key, map[string]any{"format": "csv"})
			if code != 202 {
				t.Fatalf("create export: %d %v", code, exp)
			}
			id := exp["id"].(string)
			// Kill the worker once the export is part written.
			deadline := time.Now().Add(60 * time.Second)
			for {
				_, e := api(t, "GET", base+"/api/v1/exports/"+id, key, nil)
				prog, _ := e["progress"].(map[string]any)
				if e["status"] == "running" && prog["done"].(float64) > 0 {
					t.Logf("killing the worker at %v of %v orders", prog["done"], prog["total"])
					break
				}
				if e["status"] == "completed" || time.Now().After(deadline) {
					t.Fatalf("the export was not caught running: %v", e)
				}
				time.Sleep(5 * time.Millisecond)
			}
			worker.kill(t)

			if mode == "sqlite" {
				web = start(t, dir, env, "serve")
			} else {
				start(t, dir, env, "worker")
			}
			var e map[string]any
			deadline = time.Now().Add(90 * time.Second)
			for {
				_, e = api(t, "GET", base+"/api/v1/exports/"+id, key, nil)
				if e["status"] == "completed" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the export did not complete after the restart: %v", e)
				}
				time.Sleep(50 * time.Millisecond)
			}

			// The file is whole: every order, and the same bytes as an
			// export that nothing interrupted.
			crashed := fetch(t, e["download_url"].(string))
			rows, err := csv.NewReader(bytes.NewReader(crashed)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			seenOrder := map[string]bool{}
			for _, r := range rows[1:] {
				seenOrder[r[0]] = true
			}
			if len(seenOrder) != orders || float64(len(rows)-1) != e["row_count"].(float64) {
				t.Fatalf("the file has %d orders and %d rows; want %d orders and row_count %v", len(seenOrder), len(rows)-1, orders, e["row_count"])
			}
			_, again := api(t, "POST", base+"/api/v1/orders/export", key, map[string]any{"format": "csv"})
			for again["status"] != "completed" {
				time.Sleep(50 * time.Millisecond)
				_, again = api(t, "GET", base+"/api/v1/exports/"+again["id"].(string), key, nil)
			}
			if !bytes.Equal(crashed, fetch(t, again["download_url"].(string))) {
				t.Fatal("the export that survived the crash differs from one that did not")
			}
			api(t, "DELETE", base+"/api/v1/exports/"+again["id"].(string), key, nil)

			// Exactly one object for the export, and nothing half written.
			if mode == "sqlite" {
				var objects []string
				_ = filepath.WalkDir(filepath.Join(dir, "data"), func(path string, d fs.DirEntry, err error) error {
					if err == nil && !d.IsDir() && strings.Contains(path, "exports.d") && strings.HasSuffix(path, ".o") {
						objects = append(objects, path)
					}
					return nil
				})
				if len(objects) != 1 {
					t.Fatalf("want one export object, found %v", objects)
				}
			} else {
				ctx := context.Background()
				list, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("ordo-crash")})
				if err != nil {
					t.Fatal(err)
				}
				var keys []string
				for _, o := range list.Contents {
					if strings.Contains(aws.ToString(o.Key), "/exports/") {
						keys = append(keys, aws.ToString(o.Key))
					}
				}
				if len(keys) != 1 {
					t.Fatalf("want one export object, found %v", keys)
				}
				ups, err := s3c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("ordo-crash")})
				if err != nil {
					t.Fatal(err)
				}
				if len(ups.Uploads) != 0 {
					t.Fatalf("unfinished multipart uploads left: %d", len(ups.Uploads))
				}
				// No job is left running, and the export job completed once.
				conn, err := pgx.Connect(ctx, dbURL)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close(ctx)
				// Job completion is recorded just after Work returns.
				var running, jobs int
				var state string
				for deadline := time.Now().Add(10 * time.Second); ; {
					if err := conn.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE state = 'running'`).Scan(&running); err != nil {
						t.Fatal(err)
					}
					if err := conn.QueryRow(ctx, `SELECT count(*), max(state::text) FROM river_job WHERE kind = 'export' AND args->>'export_id' = $1`, id).Scan(&jobs, &state); err != nil {
						t.Fatal(err)
					}
					if running == 0 && state == "completed" {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("jobs: %d running; the export's job is %s", running, state)
					}
					time.Sleep(50 * time.Millisecond)
				}
				if jobs != 1 {
					t.Fatalf("the export has %d jobs; want 1", jobs)
				}
			}
		})
	}
}

// A worker killed while a webhook request is in flight: after the restart
// the delivery is made again, with the same webhook-id, and recorded as
// succeeded (at least once; the receiver de-duplicates by webhook-id).
func TestKillMidDelivery(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	env := []string{fmt.Sprintf("PORT=%d", port), "ORDO_LOG_LEVEL=warn", "ORDO_WEBHOOKS_ALLOW_PRIVATE=true",
		"ORDO_WEBHOOK_RETRY_SCHEDULE=200ms,400ms"}

	var mu sync.Mutex
	var ids []string
	inFlight := make(chan struct{}, 1)
	release := make(chan struct{})
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ids = append(ids, r.Header.Get("webhook-id"))
		first := len(ids) == 1
		mu.Unlock()
		if first {
			inFlight <- struct{}{}
			<-release // the worker dies meanwhile
		}
	}))
	t.Cleanup(rcv.Close)
	t.Cleanup(func() { close(release) })

	key := seededKey(t, dir, env, 0)
	srv := start(t, dir, env, "serve")
	waitStatus(t, base+"/readyz", 200, 20*time.Second)
	code, ep := api(t, "POST", base+"/api/v1/webhook-endpoints", key, map[string]any{"url": rcv.URL, "event_types": []string{"order.created"}})
	if code != 201 {
		t.Fatalf("create endpoint: %d %v", code, ep)
	}
	order := map[string]any{"customer_name": "Crash C", "customer_email": "c@example.com", "currency": "EUR",
		"items": []map[string]any{{"name": "Widget", "quantity": 1, "unit_price": 1000}}}
	if code, o := api(t, "POST", base+"/api/v1/orders", key, order); code != 201 {
		t.Fatalf("create order: %d %v", code, o)
	}
	select {
	case <-inFlight:
	case <-time.After(20 * time.Second):
		t.Fatal("the delivery never reached the receiver")
	}
	srv.kill(t)
	start(t, dir, env, "serve")
	waitStatus(t, base+"/readyz", 200, 20*time.Second)

	deadline := time.Now().Add(30 * time.Second)
	for {
		_, list := api(t, "GET", base+"/api/v1/webhook-endpoints/"+ep["id"].(string)+"/deliveries", key, nil)
		data, _ := list["data"].([]any)
		if len(data) == 1 && data[0].(map[string]any)["status"] == "succeeded" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the delivery did not succeed after the restart: %v", list)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ids) < 2 || ids[0] == "" {
		t.Fatalf("want the delivery sent again after the crash, got webhook-ids %v", ids)
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("every attempt must carry the same webhook-id: %v", ids)
		}
	}
}
