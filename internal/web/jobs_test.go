package web_test

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/account"
)

// orphanArgs is a job kind no worker knows: it fails at once, which is
// what a failed-jobs test needs.
type orphanArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
}

func (orphanArgs) Kind() string { return "test_orphan" }

func (orphanArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: "maintenance", MaxAttempts: 1}
}

// failedJob makes a job of the tenant that fails for good, and returns
// its id once it has.
func failedJob(t *testing.T, a *app, c *client, tenantID string) string {
	t.Helper()
	res, err := a.store.JobInsert(t.Context(), orphanArgs{TenantID: uuid.MustParse(tenantID)}, nil)
	require.NoError(t, err)
	id := strconv.FormatInt(res.Job.ID, 10)
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

		member, _ := a.joinAs(t, owner, account.RoleMember)
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

	member, _ := a.joinAs(t, owner, account.RoleMember)
	require.Equal(t, 403, member.get(t, "/app/jobs").status)
	require.NotContains(t, member.get(t, "/app/orders").body, `href="/app/jobs"`)
	other, _, _ := a.signup(t, uniqueEmail("uijobs-other"))
	require.Equal(t, 404, other.post(t, "/app/jobs/"+id+"/retry", url.Values{}).status)
}
