// Package blob is Ordo's object storage: uploaded files, generated
// exports, PDF invoices and backups. Store has two implementations: S3
// (any S3-compatible server: AWS, R2, versitygw, MinIO) and local disk
// under the data directory for embedded mode.
//
// Everything streams: no implementation holds a whole object in memory.
package blob

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ordo/ordo/internal/apperr"
)

// Info describes a stored object.
type Info struct {
	Key         string
	Size        int64
	ContentType string
	ModTime     time.Time
}

// Store keeps objects by key.
type Store interface {
	// Put streams r to key, replacing any object there. Large objects go
	// up in parts; the object appears only once it is complete.
	Put(ctx context.Context, key string, r io.Reader, contentType string) (Info, error)
	// Open streams the object; a missing key is apperr.ErrNotFound.
	Open(ctx context.Context, key string) (io.ReadCloser, Info, error)
	// Stat describes the object; a missing key is apperr.ErrNotFound.
	Stat(ctx context.Context, key string) (Info, error)
	// Copy makes dst a copy of src (content and content type), replacing
	// any object at dst, inside the storage (no bytes through Ordo with
	// S3); a missing src is apperr.ErrNotFound. It returns dst's Info.
	Copy(ctx context.Context, src, dst string) (Info, error)
	// Delete removes the object; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List describes every object whose key starts with prefix (a plain
	// string prefix, not only whole segments), in key order. ContentType
	// is not filled in. No match is an empty list, not an error.
	List(ctx context.Context, prefix string) ([]Info, error)
	// Check reports whether the storage is reachable and usable, for
	// readiness.
	Check(ctx context.Context) error

	// PresignPut lets a client upload one object of exactly size bytes and
	// contentType to key, until ttl passes, without going through Ordo.
	PresignPut(ctx context.Context, key, contentType string, size int64, ttl time.Duration) (Upload, error)
	// PresignGet lets a client download key until ttl passes.
	PresignGet(ctx context.Context, key string, d Download, ttl time.Duration) (string, error)
}

// ValidKey rejects keys that could escape a directory on local disk or
// that S3 treats specially: empty, absolute, "." or ".." segments, empty
// segments, backslashes and control characters.
func ValidKey(key string) error {
	if key == "" || len(key) > 1024 {
		return fmt.Errorf("blob key must be 1 to 1024 bytes")
	}
	if strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") || strings.Contains(key, "\\") {
		return fmt.Errorf("blob key %q: no leading or trailing slash, no backslash", key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("blob key %q: empty, \".\" or \"..\" segment", key)
		}
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("blob key %q: control character", key)
		}
	}
	return nil
}

func notFound(key string) error {
	return fmt.Errorf("blob %q: %w", key, apperr.NotFound("object"))
}
