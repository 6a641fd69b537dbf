package web

import (
	"crypto/rand"
	"encoding/base64"
)

// redocBundle is the vendored Redoc release the API reference runs on
// (scripts/vendor-apiref.sh fetches it, and patches out its one request
// to a third party, a logo). Its name carries the version, so browsers may
// keep it for good.
const redocBundle = "/static/vendor/redoc-2.5.4.standalone.js"

// redocStyleHashes allow the <style> the Redoc bundle writes before it
// has the nonce (see apiDocsCSP).
const redocStyleHashes = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' 'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='"

// apiDocsCSP is the policy of /api/v1/docs. It is the pages' policy with
// what Redoc needs added, and without what the page does not use (the
// storage origins, blob: images):
//   - style-src 'nonce-…': Redoc (styled-components) writes its CSS into
//     <style> elements at run time. Given the nonce (apiref.js passes
//     it), it marks them with it, so 'unsafe-inline' is not needed.
//   - style-src 'sha256-…': one <style> is written as the bundle loads,
//     before Redoc is given the nonce: perfect-scrollbar's fixed CSS,
//     inserted empty and then filled, so the hashes of "" and of that
//     CSS. They change only with the bundle; TestBrowserAPIReference
//     fails, naming the hash wanted, if they no longer match.
//   - worker-src blob:: Redoc's search index runs in a Web Worker built
//     from a Blob of code inside the bundle. Only a script already allowed
//     on the page can make such a URL, so no outside code gets in.
//
// Scripts stay 'self' only: no 'unsafe-eval', no 'unsafe-inline', no CDN.
func apiDocsCSP(nonce string) string {
	return "default-src 'self'; script-src 'self'; style-src 'self' 'nonce-" + nonce + "' " + redocStyleHashes + "; " +
		"img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src blob:; " +
		"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
}

// newNonce returns a fresh CSP nonce: 128 random bits.
func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}
