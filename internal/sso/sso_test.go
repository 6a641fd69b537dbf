package sso

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/webhook"
)

func TestAllowsDomain(t *testing.T) {
	c := TenantConfig{Domains: []string{"example.com", "example.org"}}
	for _, tc := range []struct {
		email string
		want  bool
	}{
		{"a@example.com", true},
		{"a@EXAMPLE.org", true},
		{"a@sub.example.com", false}, // subdomains are domains of their own
		{"a@example.com.evil.test", false},
		{"a@evil-example.com", false},
		{"example.com", false},
		{"", false},
	} {
		require.Equal(t, tc.want, c.AllowsDomain(tc.email), tc.email)
	}
}

func TestClaimsVerified(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want bool
	}{
		{true, true}, {"true", true}, {"TRUE", true},
		{false, false}, {"false", false}, {nil, false}, {1.0, false}, {"yes", false},
	} {
		require.Equal(t, tc.want, claims{EmailVerified: tc.v}.verified(), "%#v", tc.v)
	}
}

func TestValidEmail(t *testing.T) {
	for _, tc := range []struct {
		email string
		want  bool
	}{
		{"a@example.com", true},
		{"", false},
		{"a@b@example.com", false},
		{"Name <a@example.com>", false},
		{"not-an-address", false},
	} {
		require.Equal(t, tc.want, validEmail(tc.email), tc.email)
	}
}

// TestNormalize checks the settings an owner gives, field by field.
func TestNormalize(t *testing.T) {
	// Private addresses allowed (no DNS in tests); strict refuses them and
	// plain http, as in production.
	s, strict := &Service{guard: webhook.Guard{AllowPrivate: true}}, &Service{}
	ok := func() Input {
		return Input{Issuer: "https://accounts.google.com/", ClientID: " ordo ", Domains: []string{" Example.COM", "@example.org", "example.com", ""}}
	}
	in := ok()
	require.NoError(t, s.normalize(context.Background(), &in))
	require.Equal(t, "https://accounts.google.com", in.Issuer, "trailing slash dropped: go-oidc compares the issuer exactly")
	require.Equal(t, "ordo", in.ClientID)
	require.Equal(t, []string{"example.com", "example.org"}, in.Domains)
	require.Equal(t, access.RoleMember, in.DefaultRole)

	for _, tc := range []struct {
		name  string
		edit  func(*Input)
		field string
	}{
		{"no issuer", func(in *Input) { in.Issuer = "" }, "issuer"},
		{"issuer not a URL", func(in *Input) { in.Issuer = "accounts.google.com" }, "issuer"},
		{"issuer with a query", func(in *Input) { in.Issuer = "https://idp.example.com/?x=1" }, "issuer"},
		{"strict: plain http issuer", func(in *Input) { in.Issuer = "http://93.184.216.34" }, "issuer"},
		{"strict: loopback issuer", func(in *Input) { in.Issuer = "https://127.0.0.1" }, "issuer"},
		{"strict: metadata issuer", func(in *Input) { in.Issuer = "https://169.254.169.254/latest" }, "issuer"},
		{"no client id", func(in *Input) { in.ClientID = " " }, "client_id"},
		{"no domains", func(in *Input) { in.Domains = nil }, "domains"},
		{"bad domain", func(in *Input) { in.Domains = []string{"example"} }, "domains"},
		{"domain with a space", func(in *Input) { in.Domains = []string{"exa mple.com"} }, "domains"},
		{"owner by JIT", func(in *Input) { in.DefaultRole = access.RoleOwner }, "default_role"},
		{"unknown role", func(in *Input) { in.DefaultRole = "root" }, "default_role"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := ok()
			tc.edit(&in)
			svc := s
			if strings.HasPrefix(tc.name, "strict:") {
				svc = strict
			}
			err := svc.normalize(context.Background(), &in)
			e, isApp := apperr.As(err)
			require.True(t, isApp, "%v", err)
			require.Len(t, e.Fields, 1, "%v", e.Fields)
			require.Equal(t, tc.field, e.Fields[0].Field)
		})
	}
}
