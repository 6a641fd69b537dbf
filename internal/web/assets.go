package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"
)

// assets serves the files under /static/ from the binary.
//
// Pages link them by content-hashed URLs ({{asset "app.css"}} gives
// /static/app.<hash>.css), so browsers keep them for a year and a new
// release is fetched at once. Vendored files carry their version in their
// name instead and are linked as they are. Each file is gzipped once, on
// first request, and kept in memory.
type assets struct {
	fsys fs.FS
	// hashes are the first 12 hex digits of each file's SHA-256, by name
	// under static/ ("app.css"), computed at start-up.
	hashes map[string]string
	mu     sync.Mutex
	files  map[string]*asset
}

type asset struct {
	raw, gz  []byte
	etag     string
	mimeType string
}

// hashedName matches a content-hashed URL's file name: name.<hash>.ext.
var hashedName = regexp.MustCompile(`^(.+)\.([0-9a-f]{12})(\.[A-Za-z0-9]+)$`)

func newAssets(fsys fs.FS) (*assets, error) {
	a := &assets{fsys: fsys, hashes: map[string]string{}, files: map[string]*asset{}}
	err := fs.WalkDir(fsys, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(raw)
		a.hashes[strings.TrimPrefix(name, "static/")] = hex.EncodeToString(sum[:])[:12]
		return nil
	})
	return a, err
}

// URL is the address pages link name by: content-hashed for our own
// files, as it is for vendored ones (versioned by name).
func (a *assets) URL(name string) string {
	h, ok := a.hashes[name]
	if !ok || strings.HasPrefix(name, "vendor/") {
		return "/static/" + name
	}
	ext := path.Ext(name)
	return "/static/" + strings.TrimSuffix(name, ext) + "." + h + ext
}

// file loads and compresses name (under static/) once.
func (a *assets) file(name string) (*asset, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if f, ok := a.files[name]; ok {
		return f, nil
	}
	raw, err := fs.ReadFile(a.fsys, "static/"+name)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(raw)
	if err := zw.Close(); err != nil {
		return nil, err
	}
	f := &asset{raw: raw, etag: `"` + a.hashes[name] + `"`}
	if buf.Len() < len(raw) {
		f.gz = buf.Bytes()
	}
	f.mimeType = mime.TypeByExtension(path.Ext(name))
	if f.mimeType == "" {
		f.mimeType = "text/plain; charset=utf-8" // LICENSE, SHA256SUMS
	}
	a.files[name] = f
	return f, nil
}

func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	if !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	// Versioned files may be kept for good; a hashed URL of ours, too,
	// when the hash is this file's. An old hash (a page from the release
	// before, during a rolling deploy) gets today's file, not kept, and
	// an unhashed name is checked again each time (its ETag answers 304).
	cache := "no-cache"
	if strings.HasPrefix(name, "vendor/") {
		cache = "public, max-age=31536000, immutable"
	} else if m := hashedName.FindStringSubmatch(name); m != nil {
		if _, ok := a.hashes[m[1]+m[3]]; ok {
			if name = m[1] + m[3]; a.hashes[name] == m[2] {
				cache = "public, max-age=31536000, immutable"
			}
		}
	}
	f, err := a.file(name)
	if errors.Is(err, fs.ErrNotExist) {
		http.NotFound(w, r)
		return
	} else if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.mimeType)
	h.Set("Cache-Control", cache)
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
