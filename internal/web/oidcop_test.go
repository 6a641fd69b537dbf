package web_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// testOP is a small OpenID provider on loopback that the SSO tests
// control: discovery, JWKS, an authorization endpoint that signs in
// whoever the test says (no login page), and a token endpoint that checks
// the code, the redirect URI, the client and the PKCE verifier before it
// issues an ID token. Each misbehaviour the tests need is one switch: a
// tampered token, a wrong nonce or audience, an expired token, an
// unverified address, and a rotated signing key.
type testOP struct {
	t      *testing.T
	srv    *httptest.Server
	client string
	secret string

	mu   sync.Mutex
	key  *rsa.PrivateKey
	kid  string
	user opUser
	// Misbehaviours of the next tokens.
	tamper, wrongNonce, wrongAudience, expired bool
	codes                                      map[string]opCode
	// tokens counts the tokens issued, jwksFetches the key set's reads.
	tokens, jwksFetches int
	// foreignKey signs the next tokens with a key the JWKS does not
	// publish (under the published key id).
	foreignKey bool
}

// opUser is who the provider signs in next.
type opUser struct {
	Sub, Email, Name string
	Verified         bool
}

type opCode struct {
	user                       opUser
	nonce, challenge, redirect string
	clientID                   string
	used                       bool
}

func newTestOP(t *testing.T) *testOP {
	op := &testOP{t: t, client: "ordo-" + uuid.NewString()[:8], secret: "op-secret-" + uuid.NewString(), codes: map[string]opCode{}}
	op.rotate()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", op.discovery)
	mux.HandleFunc("GET /jwks", op.jwks)
	mux.HandleFunc("GET /authorize", op.authorize)
	mux.HandleFunc("POST /token", op.token)
	op.srv = httptest.NewServer(mux)
	t.Cleanup(op.srv.Close)
	return op
}

func (op *testOP) issuer() string { return op.srv.URL }

// rotate makes a new signing key, which alone the JWKS serves from now.
func (op *testOP) rotate() {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(op.t, err)
	op.mu.Lock()
	op.key, op.kid = k, "k-"+uuid.NewString()[:8]
	op.mu.Unlock()
}

// as sets who signs in next, and clears the misbehaviours.
func (op *testOP) as(u opUser) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.user = u
	op.tamper, op.wrongNonce, op.wrongAudience, op.expired, op.foreignKey = false, false, false, false, false
}

// fetches is how many times the key set was read.
func (op *testOP) fetches() int {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.jwksFetches
}

func (op *testOP) set(f func(op *testOP)) {
	op.mu.Lock()
	defer op.mu.Unlock()
	f(op)
}

func (op *testOP) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSONResp(w, map[string]any{
		"issuer": op.issuer(), "authorization_endpoint": op.issuer() + "/authorize", "token_endpoint": op.issuer() + "/token",
		"jwks_uri": op.issuer() + "/jwks", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
	})
}

func (op *testOP) jwks(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.jwksFetches++
	writeJSONResp(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &op.key.PublicKey, KeyID: op.kid, Algorithm: "RS256", Use: "sig"}}})
}

func writeJSONResp(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// authorize signs in op.user at once and sends the browser back with a
// code, as a provider does after its login page.
func (op *testOP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != op.client || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" ||
		!strings.Contains(q.Get("scope"), "openid") || q.Get("state") == "" || q.Get("nonce") == "" {
		http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	code := uuid.NewString()
	op.mu.Lock()
	op.codes[code] = opCode{user: op.user, nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), clientID: q.Get("client_id")}
	op.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token exchanges a code for tokens, once, checking the client, the
// redirect URI and the PKCE verifier.
func (op *testOP) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	c, found := op.codes[r.PostFormValue("code")]
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	switch {
	case id != op.client || secret != op.secret:
		w.WriteHeader(http.StatusUnauthorized)
		writeJSONResp(w, map[string]string{"error": "invalid_client"})
		return
	case r.PostFormValue("grant_type") != "authorization_code" || !found || c.used || c.redirect != r.PostFormValue("redirect_uri") ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge:
		w.WriteHeader(http.StatusBadRequest)
		writeJSONResp(w, map[string]string{"error": "invalid_grant"})
		return
	}
	c.used = true
	op.codes[r.PostFormValue("code")] = c
	now := time.Now()
	claims := map[string]any{"iss": op.issuer(), "sub": c.user.Sub, "aud": op.client, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"nonce": c.nonce, "email": c.user.Email, "email_verified": c.user.Verified, "name": c.user.Name}
	if op.wrongNonce {
		claims["nonce"] = "not-the-nonce"
	}
	if op.wrongAudience {
		claims["aud"] = "someone-else"
	}
	if op.expired {
		claims["iat"], claims["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
	}
	payload, err := json.Marshal(claims)
	require.NoError(op.t, err)
	key := op.key
	if op.foreignKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(op.t, err)
		key = k
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: op.kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	require.NoError(op.t, err)
	obj, err := signer.Sign(payload)
	require.NoError(op.t, err)
	raw, err := obj.CompactSerialize()
	require.NoError(op.t, err)
	if op.tamper {
		// Another address in the payload, the signature left as it was.
		claims["email"] = "attacker@evil.example"
		forged, _ := json.Marshal(claims)
		parts := strings.Split(raw, ".")
		parts[1] = base64.RawURLEncoding.EncodeToString(forged)
		raw = strings.Join(parts, ".")
	}
	op.tokens++
	writeJSONResp(w, map[string]any{"access_token": "at-" + uuid.NewString(), "token_type": "Bearer", "expires_in": 300, "id_token": raw})
}
