package blob

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzSignerVerify: a URL the signer made verifies to exactly what was
// signed; the same signature over any other values is refused; and an
// arbitrary query string is refused without panicking.
func FuzzSignerVerify(f *testing.F) {
	f.Add("put", "t/0190/a.pdf", "application/pdf", int64(10), "", "get", "t/0190/a.pdf", "application/pdf", int64(10), "", "")
	f.Add("get", "k", "text/html", int64(0), `attachment; filename="x.html"`, "get", "k", "text/html", int64(0), `inline; filename="x.html"`, "op=get&k=k&sig=")
	f.Add("put", "a\x00b", "", int64(1), "", "put", "a", "b\x00", int64(1), "", "op=put&k=a%00b&ct=&n=1&cd=&e=9999999999&sig=x")
	f.Add("get", "k", "ct", int64(-1), "cd", "get", "k", "ct", int64(-1), "cd", "e=1&e=2&sig=%ff%fe")
	f.Add("put", "k", "ct", int64(5), "", "put", "k", "ct", int64(50), "", "n=50&n=5")
	f.Add("", "", "", int64(0), "", "", "", "", int64(0), "", "%zz;&&==")
	f.Fuzz(func(t *testing.T, op, key, ct string, size int64, cd string, op2, key2, ct2 string, size2 int64, cd2 string, raw string) {
		now := time.Unix(1_800_000_000, 0)
		s := NewSigner("fuzz-secret")
		s.now = func() time.Time { return now }
		signed := s.URL(op, key, ct, size, cd, now.Add(time.Minute))
		u, err := url.Parse(signed)
		if err != nil {
			t.Fatalf("signed URL %q does not parse: %v", signed, err)
		}
		got, err := s.Verify(u.Query())
		if err != nil {
			t.Fatalf("own URL refused: %v", err)
		}
		if want := (Signed{Op: op, Key: key, ContentType: ct, Disposition: cd, Size: size}); got != want {
			t.Fatalf("verified %+v, signed %+v", got, want)
		}

		// The signature over the first values, with other values.
		q := u.Query()
		q.Set("op", op2)
		q.Set("k", key2)
		q.Set("ct", ct2)
		q.Set("n", strconv.FormatInt(size2, 10))
		q.Set("cd", cd2)
		same := op == op2 && key == key2 && ct == ct2 && size == size2 && cd == cd2
		if _, err := s.Verify(q); err == nil && !same {
			t.Fatalf("tampered URL accepted: signed %q %q %q %d %q, sent %q %q %q %d %q", op, key, ct, size, cd, op2, key2, ct2, size2, cd2)
		}

		// Expired: refused.
		s.now = func() time.Time { return now.Add(2 * time.Minute) }
		if _, err := s.Verify(u.Query()); err == nil {
			t.Fatal("expired URL accepted")
		}
		s.now = func() time.Time { return now }

		// Anything a client makes up, without the secret, is refused.
		aq, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if sig := aq.Get("sig"); sig != "" && sig == q.Get("sig") {
			return // it copied our signature: covered above
		}
		if _, err := s.Verify(aq); err == nil && !strings.Contains(raw, u.Query().Get("sig")) {
			t.Fatalf("made-up query %q accepted", raw)
		}
	})
}
