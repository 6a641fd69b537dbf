package web_test

import (
	"regexp"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// Issue 16 (12): a tenant named in Polish gets a transliterated slug
// ("Łódź Trading" was "d-trading"); a second one of the same name gets a
// suffix; a name with no Latin letters gets a hashed slug, not "tenant".
func TestSignupTenantSlug(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	signup := func(email, tenantName string) string {
		email = uniqueEmail(email)
		a.browser().do("POST", "/api/v1/auth/signup", map[string]any{"email": email, "password": password, "name": "N", "tenant_name": tenantName}).must(t, 202)
		// The answer does not show the tenant (it is the same for a
		// registered address): read it from the store.
		tn, err := a.store.TenantGetByID(t.Context(), uuid.MustParse(a.tenantOf(t, email)))
		require.NoError(t, err)
		return tn.Slug
	}
	require.Equal(t, "lodz-trading", signup("lodz", "Łódź Trading"))
	require.Regexp(t, regexp.MustCompile(`^lodz-trading-[0-9a-f]{6}$`), signup("lodz2", "Łódź Trading"))
	require.Regexp(t, regexp.MustCompile(`^tenant-[0-9a-f]{8}$`), signup("yamada", "山田商事"))
	require.Equal(t, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-b", signup("long", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-b-ccccccc"))
	// Cut at 40 characters on a hyphen: the hyphen goes.
	require.Equal(t, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", signup("cut", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbbb"))
}
