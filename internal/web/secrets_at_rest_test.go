package web_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/store/pgstore"
	"github.com/ordo/ordo/internal/store/sqlitestore"
)

// TestNoRawSecretsAtRest is finding 7 of issue 17: after a whole journey
// (sign up, verify, reset the password, log in, invite and accept, change
// the e-mail address, create an API key and a webhook endpoint), no raw
// one-time token, password, session cookie or API key handed out is
// readable in any column of any table, in any of the encodings it could
// have been stored in.
func TestNoRawSecretsAtRest(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, b, nil)
			secrets := map[string]string{} // what → value
			keep := func(what, v string) {
				t.Helper()
				require.NotEmpty(t, v, what)
				secrets[what] = v
			}

			email := uniqueEmail("rest")
			owner, _, _ := a.signup(t, email)
			keep("password at sign-up", password)
			keep("session cookie at sign-up", sessionCookie(t, owner))
			// signup confirmed the address with the e-mailed link.
			keep("verification token", a.outbox.token(t, email, "Confirm your e-mail"))

			const resetPassword = "the password after reset"
			a.browser().do("POST", "/api/v1/auth/password-reset", map[string]any{"email": email}).must(t, 202)
			reset := a.outbox.token(t, email, "Reset your Ordo password")
			keep("reset token", reset)
			keep("password at reset", resetPassword)
			a.browser().do("POST", "/api/v1/auth/password-reset/confirm", map[string]any{"token": reset, "password": resetPassword}).must(t, 204)
			owner = a.browser()
			owner.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": resetPassword}).must(t, 200)
			keep("session cookie at log-in", sessionCookie(t, owner))

			guest := uniqueEmail("guest")
			owner.do("POST", "/api/v1/invitations", map[string]any{"email": guest, "role": "member"}).must(t, 201)
			invite := a.outbox.token(t, guest, "invited")
			keep("invitation token", invite)
			const guestPassword = "the guest's own password"
			keep("password at invitation", guestPassword)
			g := a.browser()
			g.do("POST", "/api/v1/invitations/accept", map[string]any{"token": invite, "password": guestPassword, "name": "Guest"}).must(t, 200)
			keep("session cookie at acceptance", sessionCookie(t, g))

			next := uniqueEmail("moved")
			owner.do("POST", "/api/v1/auth/email", map[string]any{"email": next, "password": resetPassword}).must(t, 202)
			change := a.outbox.token(t, next, "Confirm your new e-mail")
			keep("e-mail change token", change)
			a.browser().do("POST", "/api/v1/auth/email/confirm", map[string]any{"token": change}).must(t, 200)
			a.outbox.wait(t, email, "was changed")

			const changedPassword = "the password after change"
			owner.do("POST", "/api/v1/auth/password", map[string]any{"current_password": resetPassword, "new_password": changedPassword}).must(t, 204)
			keep("password at change", changedPassword)
			keep("session cookie after password change", sessionCookie(t, owner))

			key := owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "ci", "role": "member"}).must(t, 201).str("key")
			keep("API key", key)
			keep("API key secret", apiKeySecret(key))

			hook := owner.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": "http://127.0.0.1:1/hook"}).must(t, 201)
			keep("webhook signing secret", hook.str("secret"))
			id := hook.str("id")
			rotated := owner.do("POST", "/api/v1/webhook-endpoints/"+id+"/rotate-secret", nil).must(t, 200)
			keep("rotated webhook signing secret", rotated.str("secret"))

			// Every e-mail job has been worked (its mail was read above);
			// now read every table.
			found := scanTables(t, a, secrets)
			require.Empty(t, found, "raw secrets readable in the database")
		})
	}
}

// encodings are the forms a secret could be stored in.
func encodings(v string) map[string]string {
	return map[string]string{
		"raw":       v,
		"base64":    base64.StdEncoding.EncodeToString([]byte(v)),
		"base64url": base64.RawURLEncoding.EncodeToString([]byte(v)),
		"urlencode": url.QueryEscape(v),
		"hex":       hex.EncodeToString([]byte(v)),
	}
}

// scanTables reads every column of every row of every table as text and
// returns "what (encoding) in table" for each secret found.
func scanTables(t *testing.T, a *app, secrets map[string]string) []string {
	t.Helper()
	ctx := context.Background()
	var rows []struct{ table, text string }
	switch st := a.engine.(type) {
	case *sqlitestore.Store:
		rows = sqliteRows(t, ctx, st.DB())
	case *pgstore.Store:
		names, err := st.Pool().Query(ctx, `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables
			WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`)
		require.NoError(t, err)
		var tables []string
		for names.Next() {
			var n string
			require.NoError(t, names.Scan(&n))
			tables = append(tables, n)
		}
		require.NoError(t, names.Err())
		require.NotEmpty(t, tables)
		for _, tbl := range tables {
			// A row cast to text holds every column: bytea as \x hex,
			// jsonb as its text.
			rs, err := st.Pool().Query(ctx, `SELECT x::text FROM `+tbl+` AS x`)
			require.NoError(t, err)
			for rs.Next() {
				var s string
				require.NoError(t, rs.Scan(&s))
				rows = append(rows, struct{ table, text string }{tbl, s})
			}
			require.NoError(t, rs.Err(), tbl)
		}
	default:
		t.Fatalf("unknown store %T", a.engine)
	}
	require.NotEmpty(t, rows)
	var found []string
	for what, v := range secrets {
		for enc, needle := range encodings(v) {
			for _, r := range rows {
				if strings.Contains(r.text, needle) || strings.Contains(strings.ToLower(r.text), strings.ToLower(needle)) && enc == "hex" {
					found = append(found, fmt.Sprintf("%s (%s) in %s", what, enc, r.table))
				}
			}
		}
	}
	return found
}

func sqliteRows(t *testing.T, ctx context.Context, db *sql.DB) []struct{ table, text string } {
	t.Helper()
	names, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	require.NoError(t, err)
	var tables []string
	for names.Next() {
		var n string
		require.NoError(t, names.Scan(&n))
		tables = append(tables, n)
	}
	require.NoError(t, names.Err())
	names.Close()
	var out []struct{ table, text string }
	for _, tbl := range tables {
		rs, err := db.QueryContext(ctx, `SELECT * FROM "`+tbl+`"`)
		require.NoError(t, err)
		cols, err := rs.Columns()
		require.NoError(t, err)
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rs.Scan(ptrs...))
			var sb strings.Builder
			for _, v := range vals {
				switch v := v.(type) {
				case []byte:
					// A blob is searched as it is and as hex.
					sb.WriteString(string(v))
					sb.WriteString(" ")
					sb.WriteString(hex.EncodeToString(v))
				default:
					fmt.Fprint(&sb, v)
				}
				sb.WriteString("\x00")
			}
			out = append(out, struct{ table, text string }{tbl, sb.String()})
		}
		require.NoError(t, rs.Err(), tbl)
		rs.Close()
	}
	return out
}
