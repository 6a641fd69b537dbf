package blob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Disk stores objects as files under a root directory. Each key segment
// but the last becomes a directory named "<segment>.d", and the object is
// "<last>.o" with its metadata in "<last>.m", so that, as in S3, the keys
// "a" and "a/b" can both exist. Writes go to a temporary file that is
// renamed into place, so a reader never sees a partial object.
type Disk struct {
	root   string
	signer *Signer // nil: no presigned URLs
}

// WithSigner lets the store presign URLs that the app serves (GET and PUT
// /blobs), as S3 would.
func (d *Disk) WithSigner(s *Signer) *Disk { d.signer = s; return d }

func (d *Disk) PresignPut(ctx context.Context, key, contentType string, size int64, ttl time.Duration) (Upload, error) {
	if err := ValidKey(key); err != nil {
		return Upload{}, err
	}
	if d.signer == nil {
		return Upload{}, errors.New("disk blob store: no URL signer")
	}
	exp := time.Now().Add(ttl).UTC().Truncate(time.Second)
	return Upload{Method: "PUT", URL: d.signer.URL(OpPut, key, contentType, size, "", exp),
		Headers: map[string]string{"Content-Type": contentType}, ExpiresAt: exp}, nil
}

func (d *Disk) PresignGet(ctx context.Context, key string, dl Download, ttl time.Duration) (string, error) {
	if err := ValidKey(key); err != nil {
		return "", err
	}
	if d.signer == nil {
		return "", errors.New("disk blob store: no URL signer")
	}
	return d.signer.URL(OpGet, key, dl.ContentType, 0, contentDisposition(dl), time.Now().Add(ttl)), nil
}

var _ Store = (*Disk)(nil)

// NewDisk returns a store rooted at dir, creating it if needed.
func NewDisk(dir string) (*Disk, error) {
	for _, sub := range []string{"objects", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			return nil, fmt.Errorf("blob dir: %w", err)
		}
	}
	return &Disk{root: dir}, nil
}

type diskMeta struct {
	ContentType string `json:"content_type"`
}

// keyPath maps a valid key to its file, with suffix ".o" or ".m".
func (d *Disk) keyPath(key, suffix string) string {
	segs := strings.Split(key, "/")
	parts := make([]string, 0, len(segs)+2)
	parts = append(parts, d.root, "objects")
	for _, seg := range segs[:len(segs)-1] {
		parts = append(parts, seg+".d")
	}
	parts = append(parts, segs[len(segs)-1]+suffix)
	return filepath.Join(parts...)
}

func (d *Disk) objectPath(key string) string { return d.keyPath(key, ".o") }

func (d *Disk) metaPath(key string) string { return d.keyPath(key, ".m") }

func (d *Disk) Put(ctx context.Context, key string, r io.Reader, contentType string) (Info, error) {
	if err := ValidKey(key); err != nil {
		return Info{}, err
	}
	tmp, err := os.CreateTemp(filepath.Join(d.root, "tmp"), "put-*")
	if err != nil {
		return Info{}, fmt.Errorf("blob put %q: %w", key, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	n, err := io.Copy(tmp, ctxReader{ctx, r})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Info{}, fmt.Errorf("blob put %q: %w", key, err)
	}
	meta, _ := json.Marshal(diskMeta{ContentType: contentType})
	if err := writeFileAtomic(d.metaPath(key), meta); err != nil {
		return Info{}, fmt.Errorf("blob put %q: %w", key, err)
	}
	obj := d.objectPath(key)
	if err := os.MkdirAll(filepath.Dir(obj), 0o750); err != nil {
		return Info{}, fmt.Errorf("blob put %q: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), obj); err != nil {
		return Info{}, fmt.Errorf("blob put %q: %w", key, err)
	}
	return Info{Key: key, Size: n, ContentType: contentType, ModTime: time.Now().UTC()}, nil
}

func (d *Disk) Open(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	info, err := d.Stat(ctx, key)
	if err != nil {
		return nil, Info{}, err
	}
	f, err := os.Open(d.objectPath(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Info{}, notFound(key)
	}
	if err != nil {
		return nil, Info{}, fmt.Errorf("blob open %q: %w", key, err)
	}
	return f, info, nil
}

func (d *Disk) Stat(ctx context.Context, key string) (Info, error) {
	if err := ValidKey(key); err != nil {
		return Info{}, err
	}
	fi, err := os.Stat(d.objectPath(key))
	if errors.Is(err, fs.ErrNotExist) || (err == nil && fi.IsDir()) {
		return Info{}, notFound(key)
	}
	if err != nil {
		return Info{}, fmt.Errorf("blob stat %q: %w", key, err)
	}
	info := Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime().UTC(), ContentType: "application/octet-stream"}
	if b, err := os.ReadFile(d.metaPath(key)); err == nil {
		var m diskMeta
		if json.Unmarshal(b, &m) == nil && m.ContentType != "" {
			info.ContentType = m.ContentType
		}
	}
	return info, nil
}

func (d *Disk) Copy(ctx context.Context, src, dst string) (Info, error) {
	if err := ValidKey(dst); err != nil {
		return Info{}, err
	}
	rc, info, err := d.Open(ctx, src)
	if err != nil {
		return Info{}, err
	}
	defer rc.Close()
	return d.Put(ctx, dst, rc, info.ContentType)
}

func (d *Disk) Delete(ctx context.Context, key string) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	for _, p := range []string{d.objectPath(key), d.metaPath(key)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("blob delete %q: %w", key, err)
		}
	}
	return nil
}

// List walks the directory of prefix's complete segments and maps files
// back to keys ("<seg>.d/…/<last>.o").
func (d *Disk) List(ctx context.Context, prefix string) ([]Info, error) {
	dir := filepath.Join(d.root, "objects")
	var base []string // the whole segments of prefix
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		base = strings.Split(prefix[:i], "/")
		for _, seg := range base {
			if seg == "" || seg == "." || seg == ".." || strings.ContainsAny(seg, "\\\x00") {
				return nil, fmt.Errorf("blob list: bad prefix %q", prefix)
			}
			dir = filepath.Join(dir, seg+".d")
		}
	}
	var out []Info
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if e.IsDir() {
			if path != dir && !strings.HasSuffix(e.Name(), ".d") {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(e.Name(), ".o") {
			return nil // metadata, or a write in progress
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		segs := append([]string(nil), base...)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		for _, p := range parts[:len(parts)-1] {
			segs = append(segs, strings.TrimSuffix(p, ".d"))
		}
		segs = append(segs, strings.TrimSuffix(parts[len(parts)-1], ".o"))
		key := strings.Join(segs, "/")
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted meanwhile
		}
		if err != nil {
			return err
		}
		out = append(out, Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime().UTC()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("blob list %q: %w", prefix, err)
	}
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Check writes and removes a probe file: a full or read-only disk is not
// ready.
func (d *Disk) Check(ctx context.Context) error {
	f, err := os.CreateTemp(filepath.Join(d.root, "tmp"), "check-*")
	if err != nil {
		return fmt.Errorf("blob dir not writable: %w", err)
	}
	f.Close()
	return os.Remove(f.Name())
}

func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// ctxReader stops a copy when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// SweepTemp removes temporary files older than age: the remains of
// writes cut short by a crash. A write in progress keeps its file fresh
// (it is being written), so a generous age never removes one.
func (d *Disk) SweepTemp(ctx context.Context, age time.Duration) (int, error) {
	dir := filepath.Join(d.root, "tmp")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("sweep blob temp files: %w", err)
	}
	cutoff := time.Now().Add(-age)
	n := 0
	for _, e := range entries {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		fi, err := e.Info()
		if err != nil || fi.ModTime().After(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err == nil {
			n++
		}
	}
	return n, nil
}
