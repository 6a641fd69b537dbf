package archive

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/blob"
)

// Format names the archive kind in its manifest; Version its layout.
const (
	Format  = "ordo-tenant-archive"
	Version = 1
)

// TimeLayout is how times are written: UTC, microseconds, fixed width.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// Reader reads rows of one consistent snapshot of the database. Values
// come in their portable form (see Portable).
type Reader interface {
	// Rows calls fn with each row of t that t.Where selects for the
	// tenant, in t.Order, its values in t.Columns' order.
	Rows(ctx context.Context, t Table, tenantID uuid.UUID, fn func(row []any) error) error
	// UserRows calls fn with the users table's rows of these ids.
	UserRows(ctx context.Context, ids []uuid.UUID, fn func(row []any) error) error
	// Count counts the rows Rows would give.
	Count(ctx context.Context, t Table, tenantID uuid.UUID) (int64, error)
}

// Writer inserts rows, inside one transaction.
type Writer interface {
	// Insert adds one row of t, its values in t.Columns' order and
	// portable form.
	Insert(ctx context.Context, t Table, row []any) error
	// UserIDByEmail finds a user of the target by address: uuid.Nil if
	// there is none.
	UserIDByEmail(ctx context.Context, email string) (uuid.UUID, error)
	// UserExists reports whether a user with this id exists.
	UserExists(ctx context.Context, id uuid.UUID) (bool, error)
	// TenantTaken reports whether a tenant with this id or slug exists.
	TenantTaken(ctx context.Context, id uuid.UUID, slug string) (bool, error)
}

// Store is what archives need of the database; both engines implement it.
type Store interface {
	// ArchiveSnapshot runs fn on one consistent, read-only snapshot.
	ArchiveSnapshot(ctx context.Context, fn func(Reader) error) error
	// ArchiveLoad runs fn in one transaction: all rows or none.
	ArchiveLoad(ctx context.Context, fn func(Writer) error) error
}

// Objects is what archives need of object storage; blob.Store is one.
type Objects interface {
	List(ctx context.Context, prefix string) ([]blob.Info, error)
	Open(ctx context.Context, key string) (io.ReadCloser, blob.Info, error)
	Put(ctx context.Context, key string, r io.Reader, contentType string) (blob.Info, error)
	Delete(ctx context.Context, key string) error
}

// Manifest is manifest.json, the archive's first entry.
type Manifest struct {
	Format     string               `json:"format"`
	Version    int                  `json:"version"`
	TenantID   uuid.UUID            `json:"tenant_id"`
	Slug       string               `json:"slug"`
	ExportedAt time.Time            `json:"exported_at"`
	Engine     string               `json:"engine"`
	Tables     map[string]TableInfo `json:"tables"`
	Objects    []ObjectInfo         `json:"objects"`
}

// RowCount is the number of rows of every table.
func (m *Manifest) RowCount() int64 {
	var n int64
	for _, t := range m.Tables {
		n += t.Rows
	}
	return n
}

// TableInfo describes tables/NAME.jsonl.
type TableInfo struct {
	Rows    int64    `json:"rows"`
	SHA256  string   `json:"sha256"`
	Columns []string `json:"columns"`
}

// ObjectInfo describes objects/KEY.
type ObjectInfo struct {
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type,omitempty"`
	SHA256      string `json:"sha256"`
}

// Progress is told how far an export or import is, in rows and objects
// done out of total (0 when not known), as it goes.
type Progress func(done, total int64)

// Options shape an export.
type Options struct {
	// Engine names the source database in the manifest.
	Engine string
	// Credentials keeps the users' password hashes. An operator's archive
	// (moving a tenant to another Ordo) needs them so that people log in
	// as before; an owner's download leaves them out, so that it never
	// hands anyone other users' hashes: people set a new password
	// ("forgot password") after such an archive is imported.
	Credentials bool
	Progress    Progress
}

// ObjectPrefix is where a tenant's objects live (attachments, invoices,
// exports, branding). Uploads never confirmed are not archived, nor are
// export files (ExcludedPrefix).
func ObjectPrefix(tenantID uuid.UUID) string { return "tenants/" + tenantID.String() + "/" }

// ExcludedPrefix is where the tenant's export files live, archives among
// them: not archived (an archive would hold the ones before it).
func ExcludedPrefix(tenantID uuid.UUID) string { return ObjectPrefix(tenantID) + "exports/" }

// Export writes the tenant's archive to w: a zip of manifest.json,
// tables/NAME.jsonl for users and every table of Tables, and
// objects/KEY for each object under ObjectPrefix. The rows come from one
// snapshot; objects are copied after it, and a row whose object is gone
// by then (deleted meanwhile) keeps its key. engine names the source in
// the manifest.
func Export(ctx context.Context, st Store, objs Objects, tenantID uuid.UUID, w io.Writer, o Options) (*Manifest, error) {
	zw := zip.NewWriter(w)
	m := &Manifest{Format: Format, Version: Version, TenantID: tenantID, ExportedAt: time.Now().UTC().Truncate(time.Second),
		Engine: o.Engine, Tables: map[string]TableInfo{}}
	var done, total int64
	tick := func() {
		done++
		if o.Progress != nil && done%1000 == 0 {
			o.Progress(done, total)
		}
	}
	infos, err := objs.List(ctx, ObjectPrefix(tenantID))
	if err != nil {
		return nil, fmt.Errorf("archive objects: %w", err)
	}
	infos = slices.DeleteFunc(infos, func(i blob.Info) bool { return strings.HasPrefix(i.Key, ExcludedPrefix(tenantID)) })
	// The manifest goes last in the zip (it needs every count); readers
	// find it by name.
	err = st.ArchiveSnapshot(ctx, func(r Reader) error {
		total = int64(len(infos))
		for _, t := range Tables {
			n, err := r.Count(ctx, t, tenantID)
			if err != nil {
				return err
			}
			total += n
		}
		if o.Progress != nil {
			o.Progress(0, total)
		}
		users := map[uuid.UUID]bool{}
		for _, t := range Tables {
			info, err := writeTable(ctx, zw, t, func(fn func([]any) error) error {
				return r.Rows(ctx, t, tenantID, func(row []any) error {
					for i, c := range t.Columns {
						if c.Kind == KindUser && row[i] != nil {
							if id, err := uuid.Parse(row[i].(string)); err == nil {
								users[id] = true
							}
						}
						if t.Name == "tenants" && c.Name == "slug" {
							m.Slug, _ = row[i].(string)
						}
					}
					tick()
					return fn(row)
				})
			})
			if err != nil {
				return err
			}
			m.Tables[t.Name] = info
		}
		if m.Tables["tenants"].Rows != 1 {
			return apperr.NotFound("tenant")
		}
		ids := make([]uuid.UUID, 0, len(users))
		for id := range users {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
		info, err := writeTable(ctx, zw, Users, func(fn func([]any) error) error {
			return r.UserRows(ctx, ids, func(row []any) error {
				if !o.Credentials {
					row[usersPasswordHash] = ""
				}
				return fn(row)
			})
		})
		m.Tables[Users.Name] = info
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("archive rows: %w", err)
	}
	for _, obj := range infos {
		oi, err := copyObject(ctx, zw, objs, obj.Key)
		if errors.Is(err, apperr.ErrNotFound) {
			continue // deleted since it was listed
		}
		if err != nil {
			return nil, fmt.Errorf("archive object %s: %w", obj.Key, err)
		}
		m.Objects = append(m.Objects, oi)
		tick()
	}
	mw, err := zw.Create("manifest.json")
	if err != nil {
		return nil, err
	}
	enc := json.NewEncoder(mw)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if o.Progress != nil {
		o.Progress(done, total)
	}
	return m, nil
}

// writeTable writes tables/NAME.jsonl from the rows each gives.
func writeTable(ctx context.Context, zw *zip.Writer, t Table, each func(fn func([]any) error) error) (TableInfo, error) {
	info := TableInfo{Columns: make([]string, len(t.Columns))}
	for i, c := range t.Columns {
		info.Columns[i] = c.Name
	}
	fw, err := zw.Create("tables/" + t.Name + ".jsonl")
	if err != nil {
		return info, err
	}
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(fw, h), 64<<10)
	var line []byte
	err = each(func(row []any) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		line = encodeRow(line[:0], t, row)
		info.Rows++
		_, err := bw.Write(line)
		return err
	})
	if err != nil {
		return info, fmt.Errorf("table %s: %w", t.Name, err)
	}
	if err := bw.Flush(); err != nil {
		return info, err
	}
	info.SHA256 = hex.EncodeToString(h.Sum(nil))
	return info, nil
}

// encodeRow appends one JSON object, columns in the table's order, and a
// newline.
func encodeRow(dst []byte, t Table, row []any) []byte {
	dst = append(dst, '{')
	for i, c := range t.Columns {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendQuote(dst, c.Name)
		dst = append(dst, ':')
		switch v := row[i].(type) {
		case nil:
			dst = append(dst, "null"...)
		case json.RawMessage:
			dst = append(dst, v...)
		default:
			b, _ := json.Marshal(v) // strings, int64, bool, []byte (base64)
			dst = append(dst, b...)
		}
	}
	return append(dst, '}', '\n')
}

func copyObject(ctx context.Context, zw *zip.Writer, objs Objects, key string) (ObjectInfo, error) {
	rc, info, err := objs.Open(ctx, key)
	if err != nil {
		return ObjectInfo{}, err
	}
	defer rc.Close()
	fw, err := zw.Create("objects/" + key)
	if err != nil {
		return ObjectInfo{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(fw, h), rc)
	if err != nil {
		return ObjectInfo{}, err
	}
	return ObjectInfo{Key: key, Size: n, ContentType: info.ContentType, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// Portable converts a value read from either engine to its portable form
// for kind k: string for text, uuid, time and date; int64; bool;
// json.RawMessage; []byte. Engines select uuids, JSON and dates as text.
func Portable(k Kind, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch k {
	case KindInt:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int32:
			return int64(x), nil
		case int16:
			return int64(x), nil
		case int:
			return int64(x), nil
		}
	case KindBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64: // SQLite
			return x != 0, nil
		}
	case KindTime:
		switch x := v.(type) {
		case time.Time:
			return x.UTC().Format(TimeLayout), nil
		case string: // SQLite keeps this very layout
			if _, err := time.Parse(TimeLayout, x); err != nil {
				return nil, err
			}
			return x, nil
		}
	case KindJSON:
		switch x := v.(type) {
		case string:
			return json.RawMessage(x), nil
		case []byte:
			return json.RawMessage(x), nil
		}
	case KindBytes:
		if x, ok := v.([]byte); ok {
			return slices.Clone(x), nil
		}
	case KindText, KindUUID, KindUser, KindDate:
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
	}
	return nil, fmt.Errorf("a %s column holds %T", k, v)
}

// decodeValue turns an archived JSON value back into its portable form,
// checking it on the way.
func decodeValue(c Column, raw json.RawMessage) (any, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	bad := func(err error) error { return fmt.Errorf("column %s (%s): %w", c.Name, c.Kind, err) }
	switch c.Kind {
	case KindJSON:
		if !json.Valid(raw) {
			return nil, bad(errors.New("not JSON"))
		}
		return raw, nil
	case KindInt:
		var n int64
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, bad(err)
		}
		return n, nil
	case KindBool:
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, bad(err)
		}
		return b, nil
	case KindBytes:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, bad(err)
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, bad(err)
		}
		return b, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, bad(err)
	}
	switch c.Kind {
	case KindUUID, KindUser:
		if _, err := uuid.Parse(s); err != nil {
			return nil, bad(err)
		}
	case KindTime:
		if _, err := time.Parse(TimeLayout, s); err != nil {
			return nil, bad(err)
		}
	case KindDate:
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return nil, bad(err)
		}
	}
	return s, nil
}

// Import loads the archive in ra (a zip of size bytes, as Export writes)
// into st and objs. The tenant keeps its ids, so its API keys, links and
// object keys work as before; a tenant with the same id or slug already
// there is apperr.ErrConflict. Its users are matched by id, then by
// e-mail (references to a user matched by e-mail are rewritten to the
// target's id), and added otherwise, with their password hashes: people
// log in as before. Every table file and object is checked against the
// manifest's counts and SHA-256. The rows go in one transaction; objects
// go first and are removed again if the rows fail, so a failed import
// leaves nothing behind.
func Import(ctx context.Context, st Store, objs Objects, ra io.ReaderAt, size int64, progress Progress) (*Manifest, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, apperr.Invalid("file", "is not an Ordo tenant archive (not a zip file)")
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	var m Manifest
	if err := readJSON(files["manifest.json"], &m); err != nil || m.Format != Format {
		return nil, apperr.Invalid("file", "is not an Ordo tenant archive (no manifest)")
	}
	if m.Version != Version {
		return nil, apperr.Invalid("file", "is an archive of a format version this Ordo does not read")
	}
	var done, total int64
	for _, t := range m.Tables {
		total += t.Rows
	}
	total += int64(len(m.Objects))
	tick := func() {
		done++
		if progress != nil && done%1000 == 0 {
			progress(done, total)
		}
	}
	// A tenant already here is refused before any object is written: the
	// clean-up of a failed import deletes what it wrote, which must never
	// be the objects of the tenant already here.
	taken := func(w Writer) error {
		if taken, err := w.TenantTaken(ctx, m.TenantID, m.Slug); err != nil {
			return err
		} else if taken {
			return apperr.Conflict("a tenant with the archive's id or slug (%s) already exists here", m.Slug)
		}
		return nil
	}
	if err := st.ArchiveLoad(ctx, taken); err != nil {
		return nil, err
	}
	var put []string
	cleanup := func() {
		for _, k := range put {
			_ = objs.Delete(context.WithoutCancel(ctx), k)
		}
	}
	for _, o := range m.Objects {
		if !strings.HasPrefix(o.Key, ObjectPrefix(m.TenantID)) || blob.ValidKey(o.Key) != nil {
			cleanup()
			return nil, apperr.Invalid("file", "holds an object outside the tenant's storage")
		}
		if err := putObject(ctx, objs, files["objects/"+o.Key], o); err != nil {
			cleanup()
			return nil, fmt.Errorf("object %s: %w", o.Key, err)
		}
		put = append(put, o.Key)
		tick()
	}
	err = st.ArchiveLoad(ctx, func(w Writer) error {
		if err := taken(w); err != nil {
			return err
		}
		users := map[string]string{}
		err := readTable(files, m, Users, func(row []any) error {
			id, email := row[0].(string), row[1].(string)
			uid := uuid.MustParse(id)
			exists, err := w.UserExists(ctx, uid)
			if err != nil || exists {
				users[id] = id
				return err
			}
			other, err := w.UserIDByEmail(ctx, email)
			if err != nil {
				return err
			}
			if other != uuid.Nil {
				users[id] = other.String()
				return nil
			}
			users[id] = id
			tick()
			return w.Insert(ctx, Users, row)
		})
		if err != nil {
			return err
		}
		for _, t := range Tables {
			err := readTable(files, m, t, func(row []any) error {
				for i, c := range t.Columns {
					if c.Kind == KindUser && row[i] != nil {
						if to, ok := users[row[i].(string)]; ok {
							row[i] = to
						}
					}
				}
				tick()
				return w.Insert(ctx, t, row)
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		cleanup()
		return nil, err
	}
	if progress != nil {
		progress(done, total)
	}
	return &m, nil
}

func readJSON(f *zip.File, v any) error {
	if f == nil {
		return errors.New("missing")
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return json.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(v)
}

// readTable calls fn with each row of the table's file, checked against
// the manifest: its columns known, its count and hash as recorded.
func readTable(files map[string]*zip.File, m Manifest, t Table, fn func([]any) error) error {
	info, ok := m.Tables[t.Name]
	f := files["tables/"+t.Name+".jsonl"]
	if !ok || f == nil {
		return apperr.Invalid("file", "misses the table "+t.Name)
	}
	byName := map[string]int{}
	for i, c := range t.Columns {
		byName[c.Name] = i
	}
	for _, c := range info.Columns {
		if _, ok := byName[c]; !ok {
			return apperr.Invalid("file", "has a column this Ordo does not know: "+t.Name+"."+c)
		}
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(rc, h), 64<<10)
	var rows int64
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(line, &obj); err != nil {
				return apperr.Invalid("file", fmt.Sprintf("has a broken line in %s: %v", t.Name, err))
			}
			row := make([]any, len(t.Columns))
			for name, raw := range obj {
				i, ok := byName[name]
				if !ok {
					return apperr.Invalid("file", "has a column this Ordo does not know: "+t.Name+"."+name)
				}
				if row[i], err = decodeValue(t.Columns[i], raw); err != nil {
					return apperr.Invalid("file", fmt.Sprintf("has a bad value in %s: %v", t.Name, err))
				}
			}
			for name, v := range t.Added {
				if _, ok := obj[name]; !ok {
					row[byName[name]] = v
				}
			}
			rows++
			if err := fn(row); err != nil {
				return fmt.Errorf("table %s, row %d: %w", t.Name, rows, err)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if rows != info.Rows || hex.EncodeToString(h.Sum(nil)) != info.SHA256 {
		return apperr.Invalid("file", "has a table that does not match its manifest: "+t.Name)
	}
	return nil
}

func putObject(ctx context.Context, objs Objects, f *zip.File, o ObjectInfo) error {
	if f == nil {
		return apperr.Invalid("file", "misses the object "+o.Key)
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	info, err := objs.Put(ctx, o.Key, io.TeeReader(rc, h), o.ContentType)
	if err != nil {
		return err
	}
	if info.Size != o.Size || hex.EncodeToString(h.Sum(nil)) != o.SHA256 {
		_ = objs.Delete(ctx, o.Key)
		return apperr.Invalid("file", "has an object that does not match its manifest: "+o.Key)
	}
	return nil
}
