package web_test

import (
	"fmt"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/jobs"
)

// orphanArgs is a job kind no worker knows: it fails at once, which is
// what a failed-jobs test needs.
type orphanArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
}

func (orphanArgs) Kind() string { return "test_orphan" }

func (orphanArgs) InsertOpts() jobs.Opts {
	return jobs.Opts{Queue: jobs.QueueMaintenance, MaxAttempts: 1}
}

// failedJob makes a job of the tenant that fails for good, and returns
// its id once it has.
func failedJob(t *testing.T, a *app, c *client, tenantID string) string {
	t.Helper()
	res, err := a.store.JobInsert(t.Context(), orphanArgs{TenantID: uuid.MustParse(tenantID)}, nil)
	require.NoError(t, err)
	id := strconv.FormatInt(res.ID, 10)
	require.Eventually(t, func() bool {
		for _, j := range c.do("GET", "/api/v1/jobs/failed", nil).must(t, 200).list() {
			if strconv.FormatFloat(j["id"].(float64), 'f', -1, 64) == id {
				return j["state"] == "discarded"
			}
		}
		return false
	}, 20*time.Second, 20*time.Millisecond, "job %s never failed", id)
	return id
}

// Owners and admins see their tenant's failed jobs, with the error, and
// retry them; other tenants' jobs are invisible and 404.
func TestFailedJobs(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, tenantID := a.signup(t, uniqueEmail("jobs"))
		id := failedJob(t, a, owner, tenantID)
		list := owner.do("GET", "/api/v1/jobs/failed", nil).must(t, 200).list()
		require.Len(t, list, 1)
		require.Equal(t, "test_orphan", list[0]["kind"])
		require.Contains(t, list[0]["error"], "test_orphan", "the error says why")

		other, _, _ := a.signup(t, uniqueEmail("jobs-other"))
		require.Empty(t, other.do("GET", "/api/v1/jobs/failed", nil).must(t, 200).list())
		other.do("POST", "/api/v1/jobs/"+id+"/retry", nil).must(t, 404)
		owner.do("POST", "/api/v1/jobs/nope/retry", nil).must(t, 404)

		member, _ := a.joinAs(t, owner, access.RoleMember)
		member.do("GET", "/api/v1/jobs/failed", nil).must(t, 403)

		r := owner.do("POST", "/api/v1/jobs/"+id+"/retry", nil).must(t, 200)
		require.Equal(t, "available", r.str("state"))
	})
}

// The jobs page lists failed jobs with their error and retries them.
func TestUIJobs(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, tenantID := a.signup(t, uniqueEmail("uijobs"))
	require.Contains(t, owner.get(t, "/app/jobs").body, "No failed jobs")
	id := failedJob(t, a, owner, tenantID)
	page := owner.get(t, "/app/jobs")
	require.Contains(t, page.body, "test_orphan")
	require.Contains(t, page.body, `href="/app/jobs"`, "owners have the nav link")
	p := owner.post(t, "/app/jobs/"+id+"/retry", url.Values{})
	require.Equal(t, "/app/jobs", p.url)
	require.Contains(t, p.body, "runs again now")

	member, _ := a.joinAs(t, owner, access.RoleMember)
	require.Equal(t, 403, member.get(t, "/app/jobs").status)
	require.NotContains(t, member.get(t, "/app/orders").body, `href="/app/jobs"`)
	other, _, _ := a.signup(t, uniqueEmail("uijobs-other"))
	require.Equal(t, 404, other.post(t, "/app/jobs/"+id+"/retry", url.Values{}).status)
}

// Webhook deliveries retry on their own schedule, outside the job queue's
// retries: the failed-jobs API and page still show one that is retrying
// (with its attempts, last error and next attempt) and one that gave up,
// each linking to its endpoint; other tenants see neither.
func TestFailedJobsShowWebhookDeliveries(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			// The next attempt is an hour away: the delivery stays retrying.
			a := newAppOpts(t, b, appOpts{webhookSchedule: []time.Duration{time.Hour}})
			owner, _, _ := a.signup(t, uniqueEmail("jobs-hooks"))
			require.Contains(t, owner.get(t, "/app/jobs").body, "No failed jobs")

			failing := newReceiver(t, 500)
			gone := newReceiver(t, 410) // gives up at once (and disables the endpoint)
			ep1 := owner.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": failing.srv.URL}).must(t, 201).str("id")
			ep2 := owner.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": gone.srv.URL}).must(t, 201).str("id")
			d1 := owner.do("POST", "/api/v1/webhook-endpoints/"+ep1+"/test", nil).must(t, 202).str("id")
			d2 := owner.do("POST", "/api/v1/webhook-endpoints/"+ep2+"/test", nil).must(t, 202).str("id")
			waitDelivery(t, owner, ep2, d2, "failed")

			var byID map[string]map[string]any
			require.Eventually(t, func() bool {
				r := owner.do("GET", "/api/v1/jobs/failed", nil).must(t, 200)
				ds, _ := r.body["webhook_deliveries"].([]any)
				byID = map[string]map[string]any{}
				for _, d := range ds {
					m := d.(map[string]any)
					byID[m["id"].(string)] = m
				}
				return byID[d1] != nil && byID[d2] != nil
			}, 20*time.Second, 20*time.Millisecond, "both deliveries are listed: %v", byID)
			retrying := byID[d1]
			require.Equal(t, "retrying", retrying["state"])
			require.Equal(t, float64(1), retrying["attempts"])
			require.Equal(t, "HTTP 500", retrying["last_error"])
			require.Equal(t, float64(500), retrying["last_status_code"])
			next, err := time.Parse(time.RFC3339Nano, retrying["next_attempt_at"].(string))
			require.NoError(t, err)
			require.True(t, next.After(time.Now().Add(30*time.Minute)), "next attempt %s", next)
			require.Equal(t, failing.srv.URL, retrying["endpoint_url"])
			require.Equal(t, "/app/webhooks/"+ep1, retrying["endpoint_page_url"])
			require.Equal(t, "/api/v1/webhook-endpoints/"+ep1, retrying["endpoint_api_url"])
			gaveUp := byID[d2]
			require.Equal(t, "failed", gaveUp["state"])
			require.Nil(t, gaveUp["next_attempt_at"])
			require.Equal(t, float64(410), gaveUp["last_status_code"])

			page := owner.get(t, "/app/jobs").body
			require.NotContains(t, page, "No failed jobs")
			require.Contains(t, page, `href="/app/webhooks/`+ep1+`"`)
			require.Contains(t, page, `href="/app/webhooks/`+ep2+`"`)
			require.Contains(t, page, "HTTP 500")
			require.Contains(t, page, "retrying")
			require.Contains(t, page, "gave up")

			other, _, _ := a.signup(t, uniqueEmail("jobs-hooks-other"))
			r := other.do("GET", "/api/v1/jobs/failed", nil).must(t, 200)
			require.Empty(t, r.body["webhook_deliveries"])
			require.Contains(t, other.get(t, "/app/jobs").body, "No failed jobs")
		})
	}
}

// A retry through the API is in the audit log, written by the service in
// the retry's own transaction (auth.TestRetryJobAuditsInTheSameTransaction
// shows the rollback); a refused retry writes nothing.
func TestJobRetryIsAudited(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, tenantID := a.signup(t, uniqueEmail("jobs-audit"))
		id := failedJob(t, a, owner, tenantID)
		member, _ := a.joinAs(t, owner, access.RoleMember)
		member.do("POST", "/api/v1/jobs/"+id+"/retry", nil).must(t, 403)
		require.Empty(t, owner.do("GET", "/api/v1/audit-log?action=job.retried", nil).must(t, 200).list())

		owner.do("POST", "/api/v1/jobs/"+id+"/retry", nil).must(t, 200)
		entries := owner.do("GET", "/api/v1/audit-log?action=job.retried", nil).must(t, 200).list()
		require.Len(t, entries, 1)
		require.Equal(t, "job", entries[0]["entity_type"])
		require.Equal(t, id, entries[0]["entity_id"])
		require.Equal(t, map[string]any{"kind": "test_orphan"}, entries[0]["metadata"])
	})
}

// The failed jobs page through: every job once, newest first, another
// tenant's jobs never; a made-up cursor is a 422 naming it.
func TestFailedJobsPaging(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, tenantID := a.signup(t, uniqueEmail("jobpages"))
		var want []string
		for range 5 {
			want = append([]string{failedJob(t, a, owner, tenantID)}, want...)
		}
		other, _, otherTenant := a.signup(t, uniqueEmail("jobpages-other"))
		failedJob(t, a, other, otherTenant)

		var got []string
		path := "/api/v1/jobs/failed?limit=2"
		for range 10 {
			r := owner.do("GET", path, nil).must(t, 200)
			for _, j := range r.list() {
				got = append(got, fmt.Sprint(j["id"]))
			}
			next, _ := r.body["next_cursor"].(string)
			if next == "" {
				break
			}
			path = "/api/v1/jobs/failed?limit=2&cursor=" + url.QueryEscape(next)
		}
		require.Equal(t, want, got, "each job once, newest first, and only this tenant's")
		for _, q := range []string{"limit=0", "limit=101", "cursor=nonsense", "junk=1"} {
			owner.do("GET", "/api/v1/jobs/failed?"+q, nil).must(t, 422)
		}
	})
}

// The failed-jobs answer and page also show how the tenant's work stands
// in the shared queues: its jobs waiting and running, per queue; another
// tenant's are not in it.
func TestJobQueuesOfTenant(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, tenantID := a.signup(t, uniqueEmail("queues"))
		other, _, otherID := a.signup(t, uniqueEmail("queues-other"))
		// A queue no worker of the test app works: the jobs stay waiting.
		for range 3 {
			_, err := a.store.JobInsert(t.Context(), orphanArgs{TenantID: uuid.MustParse(tenantID)}, &jobs.Opts{Queue: "test_idle"})
			require.NoError(t, err)
		}
		_, err := a.store.JobInsert(t.Context(), orphanArgs{TenantID: uuid.MustParse(otherID)}, &jobs.Opts{Queue: "test_idle"})
		require.NoError(t, err)

		r := owner.do("GET", "/api/v1/jobs/failed", nil).must(t, 200)
		qs, _ := r.body["queues"].([]any)
		require.Len(t, qs, 1, "queues: %s", r.raw)
		q := qs[0].(map[string]any)
		require.Equal(t, "test_idle", q["queue"])
		require.EqualValues(t, 3, q["waiting"])
		require.EqualValues(t, 0, q["running"])

		qs, _ = other.do("GET", "/api/v1/jobs/failed", nil).must(t, 200).body["queues"].([]any)
		require.Len(t, qs, 1)
		require.EqualValues(t, 1, qs[0].(map[string]any)["waiting"])

		page := owner.do("GET", "/app/jobs", nil).must(t, 200).raw
		require.Contains(t, page, `id="queue-test_idle"`)
	})
}
