package main_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/testkit"
)

// reliabilityLong reports whether the long form of the reliability suite
// was asked for (ORDO_RELIABILITY=long, `make reliability`).
func reliabilityLong() bool { return os.Getenv("ORDO_RELIABILITY") == "long" }

// reportFigures appends a Markdown section to ORDO_RELIABILITY_REPORT,
// when set, for RELIABILITY.md.
func reportFigures(t *testing.T, section string) {
	t.Helper()
	t.Log("\n" + section)
	path := os.Getenv("ORDO_RELIABILITY_REPORT")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintln(f, section)
}

// TestReliabilityCrashes kills the worker with SIGKILL at random (seeded)
// moments while it exports, renders invoices, sends e-mail and delivers
// webhooks, restarting it each time; then checks that every export
// completed once with a whole file and one object, every invoice is
// ready, every e-mail was sent and every webhook delivered with one
// webhook-id, and that no job is left running. Duplicates (at least once,
// by design for e-mail and webhooks) are counted and reported.
func TestReliabilityCrashes(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	rounds, seed := 3, uint64(20261126)
	if reliabilityLong() {
		rounds = 20
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	dir := t.TempDir()
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	srv := testkit.S3Server(t)
	mp := testkit.MailpitServer(t)
	dbURL := testkit.PostgresURL(t)

	var hookMu sync.Mutex
	hookIDs := map[string]map[string]int{} // order id -> webhook-id -> deliveries
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		_ = decodeJSONBody(r, &body)
		time.Sleep(30 * time.Millisecond) // deliveries are in flight when the worker dies
		hookMu.Lock()
		if hookIDs[body.Data.ID] == nil {
			hookIDs[body.Data.ID] = map[string]int{}
		}
		hookIDs[body.Data.ID][r.Header.Get("webhook-id")]++
		hookMu.Unlock()
	}))
	t.Cleanup(rcv.Close)

	env := []string{
		fmt.Sprintf("PORT=%d", port), "ORDO_BASE_URL=" + base, "DATABASE_URL=" + dbURL, "REDIS_URL=" + testkit.RedisURL(t),
		"S3_ENDPOINT=" + srv.Endpoint, "S3_BUCKET=ordo-reliability", "S3_ACCESS_KEY_ID=" + srv.AccessKey,
		"S3_SECRET_ACCESS_KEY=" + srv.SecretKey, "S3_FORCE_PATH_STYLE=true", "S3_CREATE_BUCKET=true",
		"SMTP_URL=" + mp.SMTPURL, "ORDO_SECRET=" + strings.Repeat("r", 40), "ORDO_LOG_LEVEL=warn",
		"ORDO_API_RATE_PER_MINUTE=1000000", "ORDO_API_RATE_BURST=100000",
		"ORDO_WEBHOOKS_ALLOW_PRIVATE=true", "ORDO_WEBHOOK_RETRY_SCHEDULE=200ms,500ms,1s,2s,4s",
		// A dead worker's jobs are rescued after their kind's timeout.
		"ORDO_JOB_RESCUE_AFTER=1s", "ORDO_EXPORT_TIMEOUT=6s",
	}
	key := seededKey(t, dir, env, 4000)
	start(t, dir, env, "serve")
	waitStatus(t, base+"/readyz", 200, 20*time.Second)
	worker := start(t, dir, env, "worker")
	if c, ep := api(t, "POST", base+"/api/v1/webhook-endpoints", key, map[string]any{"url": rcv.URL, "event_types": []string{"order.created"}}); c != 201 {
		t.Fatalf("endpoint: %d %v", c, ep)
	}
	_, page := api(t, "GET", base+"/api/v1/orders?limit=200", key, nil)
	var seeded []string
	for _, o := range page["data"].([]any) {
		seeded = append(seeded, o.(map[string]any)["id"].(string))
	}

	var exportIDs, invoiceOrders, invited, created []string
	mustAPI := func(method, path string, body any, want int) map[string]any {
		t.Helper()
		c, res := api(t, method, base+path, key, body)
		if c != want {
			t.Fatalf("%s %s: %d %v", method, path, c, res)
		}
		return res
	}
	for i := range rounds {
		// Export creation is rate limited (a burst of 10, then 20 an
		// hour): the long form exports every other round.
		if rounds <= 10 || i%2 == 0 {
			format := []string{"csv", "xlsx"}[len(exportIDs)%2]
			exportIDs = append(exportIDs, mustAPI("POST", "/api/v1/orders/export", map[string]any{"format": format}, 202)["id"].(string))
		}
		oid := seeded[rng.IntN(len(seeded))]
		mustAPI("POST", "/api/v1/orders/"+oid+"/invoice", nil, 202)
		invoiceOrders = append(invoiceOrders, oid)
		email := fmt.Sprintf("crash-%d@example.com", i)
		mustAPI("POST", "/api/v1/invitations", map[string]any{"email": email, "role": "viewer"}, 201)
		invited = append(invited, email)
		for range 5 {
			o := mustAPI("POST", "/api/v1/orders", map[string]any{"customer_name": "Crash C", "customer_email": "c@example.com", "currency": "EUR",
				"items": []map[string]any{{"name": "Widget", "quantity": 1, "unit_price": 100}}}, 201)
			created = append(created, o["id"].(string))
		}
		time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
		worker.kill(t)
		worker = start(t, dir, env, "worker")
	}
	killedAt := time.Now()

	// Everything completes.
	deadline := time.Now().Add(150 * time.Second)
	pending := func() []string {
		var left []string
		for _, id := range exportIDs {
			if _, e := api(t, "GET", base+"/api/v1/exports/"+id, key, nil); e["status"] != "completed" {
				left = append(left, fmt.Sprintf("export %s %v", id, e["status"]))
			}
		}
		for _, oid := range invoiceOrders {
			if _, inv := api(t, "GET", base+"/api/v1/orders/"+oid+"/invoice", key, nil); inv["status"] != "ready" {
				left = append(left, fmt.Sprintf("invoice of %s %v", oid, inv["status"]))
			}
		}
		got := map[string]int{}
		for _, m := range mp.Messages(t) {
			got[m.To[0]]++
		}
		for _, e := range invited {
			if got[e] == 0 {
				left = append(left, "e-mail to "+e)
			}
		}
		hookMu.Lock()
		for _, id := range created {
			if len(hookIDs[id]) == 0 {
				left = append(left, "webhook of "+id)
			}
		}
		hookMu.Unlock()
		return left
	}
	for {
		left := pending()
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not done %s after the last kill: %v", time.Since(killedAt).Round(time.Second), left[:min(len(left), 10)])
		}
		time.Sleep(500 * time.Millisecond)
	}
	recovered := time.Since(killedAt)

	// Exports: whole files, one object each, nothing half uploaded.
	ctx := context.Background()
	s3c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, "")})
	list, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("ordo-reliability")})
	if err != nil {
		t.Fatal(err)
	}
	objects := map[string]int{}
	for _, o := range list.Contents {
		k := aws.ToString(o.Key)
		for _, id := range exportIDs {
			if strings.Contains(k, "/exports/"+id) {
				objects[id]++
			}
		}
	}
	for _, id := range exportIDs {
		_, e := api(t, "GET", base+"/api/v1/exports/"+id, key, nil)
		if objects[id] != 1 {
			t.Errorf("export %s has %d objects", id, objects[id])
		}
		prog := e["progress"].(map[string]any)
		if prog["done"] != prog["total"] {
			t.Errorf("export %s: progress %v", id, prog)
		}
		if e["format"] == "csv" {
			rows, err := csv.NewReader(bytes.NewReader(fetch(t, e["download_url"].(string)))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			orders := map[string]bool{}
			for _, r := range rows[1:] {
				orders[r[0]] = true
			}
			if float64(len(orders)) != prog["total"].(float64) || float64(len(rows)-1) != e["row_count"].(float64) {
				t.Errorf("export %s: %d orders and %d rows in the file, progress %v, row_count %v", id, len(orders), len(rows)-1, prog, e["row_count"])
			}
		}
	}
	ups, err := s3c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("ordo-reliability")})
	if err != nil {
		t.Fatal(err)
	}
	// Invoices download as PDFs.
	for _, oid := range invoiceOrders {
		_, inv := api(t, "GET", base+"/api/v1/orders/"+oid+"/invoice", key, nil)
		if b := fetch(t, inv["download_url"].(string)); !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Errorf("invoice of %s is not a PDF", oid)
		}
	}
	// No job left running, none given up.
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// Jobs a killed worker was running stay "running" until River's
	// rescuer (every 30 s) finds them past their kind's timeout; then they
	// run again and must change nothing.
	var running, discarded int
	for end := time.Now().Add(150 * time.Second); ; {
		if err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state = 'running'), count(*) FILTER (WHERE state = 'discarded') FROM river_job`).Scan(&running, &discarded); err != nil {
			t.Fatal(err)
		}
		if running == 0 || time.Now().After(end) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	settled := time.Since(killedAt)
	// E-mails and webhooks: at least once; duplicates counted.
	got := map[string]int{}
	for _, m := range mp.Messages(t) {
		got[m.To[0]]++
	}
	mailDups := 0
	for _, e := range invited {
		mailDups += got[e] - 1
	}
	hookMu.Lock()
	hookDups := 0
	for _, id := range created {
		if len(hookIDs[id]) != 1 {
			t.Errorf("order %s was delivered with %d webhook-ids", id, len(hookIDs[id]))
		}
		for _, n := range hookIDs[id] {
			hookDups += n - 1
		}
	}
	hookMu.Unlock()
	if running != 0 || discarded != 0 || len(ups.Uploads) != 0 {
		t.Errorf("after recovery: %d jobs running, %d discarded, %d unfinished uploads", running, discarded, len(ups.Uploads))
	}
	reportFigures(t, fmt.Sprintf(`### Crash faults (seed %d)

| | |
|---|---|
| worker SIGKILLs | %d, at random moments 0-400 ms into each round |
| exports (CSV and XLSX, 4,000+ orders each) | %d, all completed once, one object each, files whole |
| invoices | %d, all ready |
| e-mails (invitations, via SMTP) | %d sent, %d duplicates (at least once; a sent mail is recorded at once, so only a crash in the milliseconds between SMTP's answer and that record repeats one) |
| webhook deliveries | %d orders delivered, %d duplicates, one webhook-id per order |
| jobs left running / given up / unfinished uploads | %d / %d / %d |
| time from the last kill to everything done | %s |
| time from the last kill to no job running (rescued jobs re-ran and changed nothing) | %s |
`, seed, rounds, len(exportIDs), len(invoiceOrders), len(invited), mailDups, len(created), hookDups, running, discarded, len(ups.Uploads), recovered.Round(time.Second), settled.Round(time.Second)))
}
