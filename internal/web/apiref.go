package web

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
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

// vendorAssets serves the vendored third-party files under
// /static/vendor/. Their names carry their versions, so they are cached
// for a year; each is gzipped once, on first request, and kept in memory
// (Redoc: 1.1 MB raw, about 330 KB gzipped).
type vendorAssets struct {
	fsys  fs.FS
	mu    sync.Mutex
	files map[string]*vendorFile
}

type vendorFile struct {
	raw, gz  []byte
	etag     string
	mimeType string
}

func newVendorAssets(fsys fs.FS) *vendorAssets {
	return &vendorAssets{fsys: fsys, files: map[string]*vendorFile{}}
}

// file loads and compresses name once.
func (v *vendorAssets) file(name string) (*vendorFile, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if f, ok := v.files[name]; ok {
		return f, nil
	}
	raw, err := fs.ReadFile(v.fsys, name)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(raw)
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	f := &vendorFile{raw: raw, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	if buf.Len() < len(raw) {
		f.gz = buf.Bytes()
	}
	f.mimeType = mime.TypeByExtension(path.Ext(name))
	if f.mimeType == "" {
		f.mimeType = "text/plain; charset=utf-8" // LICENSE, SHA256SUMS
	}
	v.files[name] = f
	return f, nil
}

func (v *vendorAssets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	if !fs.ValidPath(name) || !strings.HasPrefix(name, "vendor/") {
		http.NotFound(w, r)
		return
	}
	f, err := v.file("static/" + name)
	if errors.Is(err, fs.ErrNotExist) {
		http.NotFound(w, r)
		return
	} else if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.mimeType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Vary", "Accept-Encoding")
	body, etag := f.raw, f.etag
	if f.gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body = f.gz
		// Another representation, another tag (RFC 9110 §8.8.3).
		etag = strings.TrimSuffix(f.etag, `"`) + `-gzip"`
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		return !strings.HasPrefix(q, "q=0") || strings.HasPrefix(q, "q=0.") && strings.Trim(q[4:], "0") != ""
	}
	return false
}
