package web_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/url"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/archive"
)

// archiveContents reads an archive back: each table's rows decoded as
// JSON values (so that PostgreSQL's normalised JSON compares equal to
// SQLite's text), and each object's bytes.
func archiveContents(t *testing.T, data []byte) (map[string][]map[string]any, map[string]string, archive.Manifest) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	tables, objects := map[string][]map[string]any{}, map[string]string{}
	var m archive.Manifest
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		body, err := io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
		switch {
		case f.Name == "manifest.json":
			require.NoError(t, json.Unmarshal(body, &m))
		case len(f.Name) > 7 && f.Name[:7] == "tables/":
			name := f.Name[7 : len(f.Name)-len(".jsonl")]
			sc := bufio.NewScanner(bytes.NewReader(body))
			sc.Buffer(nil, 16<<20)
			rows := []map[string]any{}
			for sc.Scan() {
				var row map[string]any
				dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
				dec.UseNumber()
				require.NoError(t, dec.Decode(&row), "%s: %s", name, sc.Text())
				rows = append(rows, row)
			}
			tables[name] = rows
		case len(f.Name) > 8 && f.Name[:8] == "objects/":
			sum := sha256.Sum256(body)
			objects[f.Name[8:]] = hex.EncodeToString(sum[:])
		}
	}
	return tables, objects, m
}

func exportArchive(t *testing.T, a *app, tenantID uuid.UUID) []byte {
	t.Helper()
	var buf bytes.Buffer
	_, err := archive.Export(context.Background(), a.store, a.blobs, tenantID, &buf, archive.Options{Engine: a.store.Engine(), Credentials: true})
	require.NoError(t, err)
	return buf.Bytes()
}

// A tenant that used every feature is exported from SQLite with local
// disk and imported into PostgreSQL with S3, and another the other way:
// exported again from where it landed, every row of every table and
// every object is the same; its owner logs in there with the same
// password and finds the same orders and dashboard; importing it twice
// is refused and leaves nothing behind; a damaged archive is refused.
func TestTenantArchiveRoundTrip(t *testing.T) {
	t.Parallel()
	sqlite := newAppOpts(t, backends[0], appOpts{})
	pg := newAppOpts(t, backends[1], appOpts{s3: true})
	for _, dir := range []struct {
		name     string
		from, to *app
	}{{"sqlite-to-postgres", sqlite, pg}, {"postgres-to-sqlite", pg, sqlite}} {
		t.Run(dir.name, func(t *testing.T) {
			ctx := context.Background()
			email := uniqueEmail("arch")
			owner, _, tidStr := dir.from.signup(t, email)
			tid := uuid.MustParse(tidStr)
			useEverything(t, dir.from, owner, newReceiver(t))

			data := exportArchive(t, dir.from, tid)
			wantTables, wantObjects, m := archiveContents(t, data)
			require.Equal(t, dir.from.store.Engine(), m.Engine)
			for _, tb := range archive.Tables {
				require.NotEmpty(t, wantTables[tb.Name], "the archive holds rows of %s", tb.Name)
			}
			require.Len(t, wantTables["users"], 2, "the users the rows name: the owner and the member who left")
			require.NotEmpty(t, wantObjects)

			_, err := archive.Import(ctx, dir.to.store, dir.to.blobs, bytes.NewReader(data), int64(len(data)), nil)
			require.NoError(t, err)
			gotTables, gotObjects, _ := archiveContents(t, exportArchive(t, dir.to, tid))
			for _, tb := range append(archive.Tables, archive.Users) {
				require.Equal(t, wantTables[tb.Name], gotTables[tb.Name], "table %s", tb.Name)
			}
			require.Equal(t, wantObjects, gotObjects)

			// The owner logs in there as before and sees the same.
			c := dir.to.browser()
			c.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 200)
			require.Equal(t, owner.do("GET", "/api/v1/orders", nil).must(t, 200).body["data"],
				c.do("GET", "/api/v1/orders", nil).must(t, 200).body["data"])
			require.Equal(t, owner.do("GET", "/api/v1/dashboard", nil).must(t, 200).body["currencies"],
				c.do("GET", "/api/v1/dashboard", nil).must(t, 200).body["currencies"], "the daily rollup is rebuilt")

			// Twice is refused, and the refusal leaves the first copy whole.
			_, err = archive.Import(ctx, dir.to.store, dir.to.blobs, bytes.NewReader(data), int64(len(data)), nil)
			require.ErrorIs(t, err, apperr.ErrConflict)
			_, again, _ := archiveContents(t, exportArchive(t, dir.to, tid))
			require.Equal(t, wantObjects, again)
		})
	}

	t.Run("damaged", func(t *testing.T) {
		ctx := context.Background()
		owner, _, tidStr := sqlite.signup(t, uniqueEmail("broken"))
		owner.do("POST", "/api/v1/orders", orderBody("Damaged D")).must(t, 201)
		data := exportArchive(t, sqlite, uuid.MustParse(tidStr))
		// The same archive with one order's name changed: its table no
		// longer matches the manifest's hash.
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		require.NoError(t, err)
		var out bytes.Buffer
		zw := zip.NewWriter(&out)
		for _, f := range zr.File {
			rc, err := f.Open()
			require.NoError(t, err)
			body, _ := io.ReadAll(rc)
			rc.Close()
			if f.Name == "tables/orders.jsonl" {
				require.Contains(t, string(body), "Damaged D")
				body = bytes.Replace(body, []byte("Damaged D"), []byte("Damaged X"), 1)
			}
			w, err := zw.Create(f.Name)
			require.NoError(t, err)
			w.Write(body)
		}
		require.NoError(t, zw.Close())
		bad := out.Bytes()
		_, err = archive.Import(ctx, pg.store, pg.blobs, bytes.NewReader(bad), int64(len(bad)), nil)
		require.ErrorIs(t, err, apperr.ErrInvalid)
		e, ok := apperr.As(err)
		require.True(t, ok)
		require.Contains(t, e.Fields[0].Detail, "orders", "the refusal names the table")
		_, err = pg.store.TenantGetByID(ctx, uuid.MustParse(tidStr))
		require.ErrorIs(t, err, apperr.ErrNotFound, "nothing of a refused archive is loaded")
		_, err = archive.Import(ctx, pg.store, pg.blobs, bytes.NewReader([]byte("not a zip")), 9, nil)
		require.ErrorIs(t, err, apperr.ErrInvalid)
	})
}

// An owner exports the tenant from the settings page or the API: a
// background export with progress whose download is an archive of the
// tenant without password hashes, which members cannot see or fetch,
// and which another Ordo imports.
func TestOwnerArchiveExport(t *testing.T) {
	t.Parallel()
	forEachStorage(t, func(t *testing.T, a *app, s3 bool) {
		owner, _, tid := a.signup(t, uniqueEmail("own-arch"))
		useEverything(t, a, owner, newReceiver(t))
		member, _ := a.joinAs(t, owner, access.RoleMember)

		settings := owner.get(t, "/app/settings")
		require.Contains(t, settings.body, `action="/app/settings/archive"`)
		require.NotContains(t, member.get(t, "/app/settings").body, `action="/app/settings/archive"`)
		started := owner.post(t, "/app/settings/archive", url.Values{})
		require.Equal(t, "/app/exports", started.url)

		r := owner.do("POST", "/api/v1/tenant/archive", nil).must(t, 202)
		require.Equal(t, "archive", r.str("format"))
		done := waitExport(t, owner, r.str("id"))
		require.Equal(t, "completed", done.str("status"), done.raw)
		require.Equal(t, done.body["progress"].(map[string]any)["done"], done.body["progress"].(map[string]any)["total"])
		data, hdr := download(t, done.str("download_url"))
		require.Contains(t, hdr.Get("Content-Disposition"), ".zip")
		tables, objects, m := archiveContents(t, data)
		require.Equal(t, tid, m.TenantID.String())
		require.Len(t, tables["orders"], 2)
		require.NotEmpty(t, objects)
		for _, u := range tables["users"] {
			require.Empty(t, u["password_hash"], "an owner's archive holds no password hash")
		}
		for key := range objects {
			require.NotContains(t, key, "/exports/", "export files, this archive among them, are not archived")
		}

		member.do("GET", "/api/v1/exports/"+r.str("id"), nil).must(t, 404)
		member.do("DELETE", "/api/v1/exports/"+r.str("id"), nil).must(t, 404)
		require.NotContains(t, member.get(t, "/app/exports").body, "/app/exports/"+r.str("id")+"/download")
		require.Contains(t, owner.get(t, "/app/exports").body, "/app/exports/"+r.str("id")+"/download")

		other := newAppOpts(t, backends[0], appOpts{})
		_, err := archive.Import(context.Background(), other.store, other.blobs, bytes.NewReader(data), int64(len(data)), nil)
		require.NoError(t, err)
		got, _, _ := archiveContents(t, exportArchive(t, other, uuid.MustParse(tid)))
		require.Equal(t, tables["orders"], got["orders"])
	})
}
