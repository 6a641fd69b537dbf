package web_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
)

// Two owners demoting each other at once, over HTTP, always leave the
// tenant one owner; the request that comes second is refused.
func TestLastOwnerConcurrentHTTP(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		first, firstID, _ := a.signup(t, uniqueEmail("lo"))
		second, secondID := a.joinAs(t, first, access.RoleOwner)
		for i := range 10 {
			var wg sync.WaitGroup
			statuses := make([]int, 2)
			start := make(chan struct{})
			for j, c := range []struct {
				by     *client
				victim string
			}{{first, secondID}, {second, firstID}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					statuses[j] = c.by.do("PATCH", "/api/v1/members/"+c.victim, map[string]any{"role": "admin"}).status
				}()
			}
			close(start)
			wg.Wait()
			// The loser is 409 (the last owner) if it was authenticated
			// before the winner committed, 403 (no longer an owner) after.
			require.Contains(t, statuses, 200, "round %d", i)
			loser := statuses[0] + statuses[1] - 200
			require.Contains(t, []int{403, 409}, loser, "round %d: %v", i, statuses)
			owners := 0
			for _, m := range first.do("GET", "/api/v1/members", nil).must(t, 200).list() {
				if m["role"] == "owner" {
					owners++
				}
			}
			require.Equal(t, 1, owners, "round %d", i)
			// The one still owner makes the other owner again.
			if statuses[0] == 200 {
				first.do("PATCH", "/api/v1/members/"+secondID, map[string]any{"role": "owner"}).must(t, 200)
			} else {
				second.do("PATCH", "/api/v1/members/"+firstID, map[string]any{"role": "owner"}).must(t, 200)
			}
		}
	})
}
