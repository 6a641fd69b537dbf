package web_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A tenant's unsafe request tells Options.Wrote (the read replicas'
// floor) before its response arrives; a read does not.
func TestWroteBeforeResponse(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, _ := a.signup(t, uniqueEmail("wrote"))
		tests := []struct {
			name   string
			method string
			path   string
			body   any
			status int
			delta  int64
		}{
			{"create", "POST", "/api/v1/orders", orderBody("Wrote W"), 201, 1},
			{"list", "GET", "/api/v1/orders", nil, 200, 0},
		}
		for _, tt := range tests {
			before := a.wrote.Load()
			owner.do(tt.method, tt.path, tt.body).must(t, tt.status)
			// The client has the response: Wrote must have run already.
			require.Equal(t, tt.delta, a.wrote.Load()-before, tt.name)
		}
	})
}
