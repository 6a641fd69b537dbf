package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/attachment"
	"github.com/ordo/ordo/internal/auth"
	"github.com/ordo/ordo/internal/blob"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/pgstore"
	"github.com/ordo/ordo/internal/store/pgstore/pgtest"
	"github.com/ordo/ordo/internal/store/sqlitestore"
	"github.com/ordo/ordo/internal/tenant"
	"github.com/ordo/ordo/internal/testkit"
)

// mainTables are compared row by row (by id) after a restore.
var mainTables = map[string]string{
	"tenants":              `CAST(id AS TEXT)`,
	"users":                `CAST(id AS TEXT)`,
	"memberships":          `CAST(tenant_id AS TEXT) || ':' || CAST(user_id AS TEXT)`,
	"orders":               `CAST(id AS TEXT)`,
	"order_items":          `CAST(id AS TEXT)`,
	"attachments":          `CAST(id AS TEXT)`,
	"audit_log":            `CAST(id AS TEXT)`,
	"events":               `CAST(id AS TEXT)`,
	"api_keys":             `CAST(id AS TEXT)`,
	"river_job":            `CAST(id AS TEXT)`,
	"user_tokens":          `CAST(id AS TEXT)`,
	"invitations":          `CAST(id AS TEXT)`,
	"order_status_history": `CAST(id AS TEXT)`,
}

// fingerprint is each main table's row count and a checksum of its ids.
func fingerprint(t *testing.T, q querier) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for table, id := range mainTables {
		var ids []string
		err := q.each(ctx, `SELECT `+id+` FROM `+table, func(scan func(...any) error) error {
			var s string
			err := scan(&s)
			ids = append(ids, s)
			return err
		})
		require.NoError(t, err, table)
		slices.Sort(ids)
		sum := sha256.Sum256([]byte(strings.Join(ids, ",")))
		out[table] = fmt.Sprintf("%d rows, ids %s", len(ids), hex.EncodeToString(sum[:8]))
	}
	return out
}

// fixture fills a migrated store: two tenants with their owners, orders
// with items (and their audit entries and events), and attachments whose
// objects are really in blobs. It returns the attachments' object keys
// and sizes.
func fixture(t *testing.T, st store.Store, blobs blob.Store) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	hasher, err := account.NewHasher(&argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	require.NoError(t, err)
	as := auth.New(auth.Options{Store: store.Narrow[auth.Tx]{Store: st}, Hasher: hasher, Log: testkit.Logger(t)})
	tenants := tenant.NewService(store.Narrow[tenant.Tx]{Store: st}, tenant.Options{Auth: as, Hasher: hasher, Log: testkit.Logger(t), BaseURL: "http://localhost"})
	accounts := account.NewService(store.Narrow[account.Tx]{Store: st}, account.Options{Auth: as, Tenants: tenants, Hasher: hasher, Log: testkit.Logger(t), BaseURL: "http://localhost"})
	ords := order.NewService(store.Narrow[order.Tx]{Store: st}, time.Now)
	objects := map[string]int64{}
	for i := range 2 {
		u, err := accounts.CreateUser(ctx, fmt.Sprintf("owner%d@example.com", i), "a long enough password 123", fmt.Sprintf("Owner %d", i))
		require.NoError(t, err)
		p := access.Principal{UserID: u.ID, Email: u.Email, Name: u.Name}
		tn, err := tenants.CreateTenant(ctx, p, fmt.Sprintf("Tenant %d", i), access.Meta{})
		require.NoError(t, err)
		p.TenantID, p.Role = tn.ID, access.RoleOwner
		for j := range 5 {
			o, _, err := ords.Create(ctx, p, order.Order{
				CustomerName: "Ada Lovelace", CustomerEmail: "ada@example.com", Currency: "EUR",
				Items: []order.Item{{SKU: "MUG", Name: "Mug", Quantity: int64(j + 1), UnitPrice: 1290, TaxRateBP: 2000},
					{SKU: "PEN", Name: "Pen", Quantity: 2, UnitPrice: 650, TaxRateBP: 2000}},
			}, "", access.Meta{})
			require.NoError(t, err)
			for k := range 2 {
				id := uuid.Must(uuid.NewV7())
				key := fmt.Sprintf("tenants/%s/attachments/%s", tn.ID, id)
				status := attachment.StatusUploaded
				size := int64(100*j + k + 1)
				if k == 1 && j == 4 {
					status = attachment.StatusPending // never uploaded: no object
				} else {
					_, err := blobs.Put(ctx, key, bytes.NewReader(bytes.Repeat([]byte{byte(j)}, int(size))), "text/plain")
					require.NoError(t, err)
					objects[key] = size
				}
				now := time.Now().UTC().Truncate(time.Microsecond)
				require.NoError(t, st.AttachmentCreate(ctx, attachment.Attachment{ID: id, TenantID: tn.ID, OrderID: &o.ID, UploadedBy: &u.ID,
					Filename: fmt.Sprintf("f%d.txt", k), ContentType: "text/plain", Size: size, ObjectKey: key, Status: status, CreatedAt: now, UpdatedAt: now}))
			}
		}
	}
	return objects
}

type engineCase struct {
	name string
	// setup returns a migrated, filled source and a backup service on it;
	// empty returns a service on a new, empty target database with the
	// same blob store.
	setup func(t *testing.T) (src *Service, blobs blob.Store, fp map[string]string, objects map[string]int64)
	empty func(t *testing.T, blobs blob.Store) (*Service, func(t *testing.T) map[string]string)
}

func sqliteCase() engineCase {
	var c engineCase
	c.name = "sqlite"
	c.setup = func(t *testing.T) (*Service, blob.Store, map[string]string, map[string]int64) {
		ctx := context.Background()
		blobs, err := blob.NewDisk(filepath.Join(t.TempDir(), "blobs"))
		require.NoError(t, err)
		path := filepath.Join(t.TempDir(), "ordo.db")
		st, err := sqlitestore.Open(ctx, path, testkit.Logger(t))
		require.NoError(t, err)
		t.Cleanup(st.Close)
		require.NoError(t, st.MigrateUp(ctx))
		objects := fixture(t, st, blobs)
		// The source stays open, as under a running server.
		svc, err := New(Options{Blobs: blobs, Log: testkit.Logger(t), SQLitePath: path, Version: "test"})
		require.NoError(t, err)
		return svc, blobs, fingerprint(t, sqlQuerier{st.DB()}), objects
	}
	c.empty = func(t *testing.T, blobs blob.Store) (*Service, func(t *testing.T) map[string]string) {
		path := filepath.Join(t.TempDir(), "data", "ordo.db")
		svc, err := New(Options{Blobs: blobs, Log: testkit.Logger(t), SQLitePath: path})
		require.NoError(t, err)
		return svc, func(t *testing.T) map[string]string {
			db, err := openSQLite(path)
			require.NoError(t, err)
			defer db.Close()
			return fingerprint(t, sqlQuerier{db})
		}
	}
	return c
}

func postgresCase() engineCase {
	var c engineCase
	c.name = "postgres"
	c.setup = func(t *testing.T) (*Service, blob.Store, map[string]string, map[string]int64) {
		ctx := context.Background()
		url := pgtest.URL(t)
		srv := testkit.S3Server(t)
		blobs, err := blob.NewS3(ctx, blob.S3Config{Endpoint: srv.Endpoint, Region: "us-east-1", Bucket: "ordo-backup",
			AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, ForcePathStyle: true})
		require.NoError(t, err)
		require.NoError(t, blobs.EnsureBucket(ctx))
		st, err := pgstore.Open(ctx, url, testkit.Logger(t))
		require.NoError(t, err)
		t.Cleanup(st.Close)
		require.NoError(t, st.MigrateUp(ctx))
		objects := fixture(t, st, blobs)
		svc, err := New(Options{Blobs: blobs, Log: testkit.Logger(t), DatabaseURL: url, Version: "test"})
		require.NoError(t, err)
		return svc, blobs, pgFingerprint(t, url), objects
	}
	c.empty = func(t *testing.T, blobs blob.Store) (*Service, func(t *testing.T) map[string]string) {
		url := testkit.PostgresURL(t)
		svc, err := New(Options{Blobs: blobs, Log: testkit.Logger(t), DatabaseURL: url})
		require.NoError(t, err)
		return svc, func(t *testing.T) map[string]string { return pgFingerprint(t, url) }
	}
	return c
}

func pgFingerprint(t *testing.T, url string) map[string]string {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	return fingerprint(t, pgQuerier{conn})
}

// Back up, wipe, restore, and find every row and every attachment.
func TestBackupRestore(t *testing.T) {
	t.Parallel()
	for _, c := range []engineCase{sqliteCase(), postgresCase()} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			src, blobs, want, objects := c.setup(t)
			require.Len(t, objects, 18)

			res, err := src.Backup(ctx)
			require.NoError(t, err)
			m := res.Manifest
			require.Equal(t, c.name, m.Engine)
			require.EqualValues(t, 20, m.Attachments.Count, "uploaded and pending rows")
			require.Positive(t, m.Schema["ordo"])
			require.Positive(t, m.Schema["river"])
			require.EqualValues(t, 10, m.Rows["orders"])
			require.Equal(t, "test", m.OrdoVersion)
			info, err := blobs.Stat(ctx, m.Database.Key)
			require.NoError(t, err)
			require.Equal(t, m.Database.Size, info.Size)

			list, err := src.List(ctx)
			require.NoError(t, err)
			require.Len(t, list, 1)
			require.Equal(t, m.ID, list[0].ID)

			dst, after := c.empty(t, blobs)
			rr, err := dst.Restore(ctx, m.ID)
			require.NoError(t, err)
			require.Equal(t, 18, rr.Checked)
			require.Empty(t, rr.Missing)
			require.Equal(t, want, after(t), "every row of the main tables is back")
			for key, size := range objects {
				info, err := blobs.Stat(ctx, key)
				require.NoError(t, err, key)
				require.Equal(t, size, info.Size, key)
			}

			// A second restore finds the database no longer empty.
			_, err = dst.Restore(ctx, m.ID)
			require.ErrorIs(t, err, ErrNotEmpty)
			_, err = src.Restore(ctx, m.ID)
			require.Error(t, err, "the source is never empty")

			// A missing attachment object is reported, the rows restored.
			var gone Attachment
			for _, a := range m.Attachments.Objects {
				if a.Status == "uploaded" {
					gone = a
					break
				}
			}
			require.NoError(t, blobs.Delete(ctx, gone.Key))
			dst2, after2 := c.empty(t, blobs)
			rr, err = dst2.Restore(ctx, m.ID)
			require.NoError(t, err)
			require.Equal(t, []Attachment{gone}, rr.Missing)
			require.Equal(t, want, after2(t))

			// A damaged dump is refused before it reaches the database.
			rc, _, err := blobs.Open(ctx, m.Database.Key)
			require.NoError(t, err)
			body, err := io.ReadAll(rc)
			rc.Close()
			require.NoError(t, err)
			body[len(body)/2] ^= 0xff
			_, err = blobs.Put(ctx, m.Database.Key, bytes.NewReader(body), "application/octet-stream")
			require.NoError(t, err)
			dst3, _ := c.empty(t, blobs)
			_, err = dst3.Restore(ctx, m.ID)
			require.ErrorContains(t, err, "damaged")
			rows, err := dst3.engine.rowCounts(ctx)
			require.NoError(t, err)
			require.NotContains(t, rows, "tenants", "nothing was restored")
		})
	}
}

// PostgreSQL: a database already migrated (by `ordo migrate up`) but
// holding no data is restored into too; its empty tables are replaced.
func TestPostgresRestoreIntoMigrated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, blobs, want, _ := postgresCase().setup(t)
	res, err := src.Backup(ctx)
	require.NoError(t, err)

	url := pgtest.URL(t)
	st, err := pgstore.Open(ctx, url, testkit.Logger(t))
	require.NoError(t, err)
	require.NoError(t, st.MigrateUp(ctx))
	st.Close()
	dst, err := New(Options{Blobs: blobs, DatabaseURL: url})
	require.NoError(t, err)
	_, err = dst.Restore(ctx, res.Manifest.ID)
	require.NoError(t, err)
	require.Equal(t, want, pgFingerprint(t, url))
}

func TestRestoreRefusesWhileServing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := sqliteCase()
	src, blobs, _, _ := c.setup(t)
	res, err := src.Backup(ctx)
	require.NoError(t, err)

	path := filepath.Join(t.TempDir(), "ordo.db")
	lock, err := lockNB(path + ".worker.lock") // as a running serve holds it
	require.NoError(t, err)
	dst, err := New(Options{Blobs: blobs, SQLitePath: path})
	require.NoError(t, err)
	_, err = dst.Restore(ctx, res.Manifest.ID)
	require.ErrorContains(t, err, "stop serve and worker")
	lock.Close()

	// An empty, migrated database is fine.
	st, err := sqlitestore.Open(ctx, path, testkit.Logger(t))
	require.NoError(t, err)
	require.NoError(t, st.MigrateUp(ctx))
	st.Close()
	_, err = dst.Restore(ctx, res.Manifest.ID)
	require.NoError(t, err)
}

func TestRetain(t *testing.T) {
	t.Parallel()
	day := func(s string) string {
		tm, err := time.Parse("2006-01-02 15:04", s)
		require.NoError(t, err)
		return tm.Format(IDFormat)
	}
	// One nightly backup a day for 60 days up to Thursday 2026-11-26, and
	// two manual ones on its last day.
	var ids []string
	end, _ := time.Parse("2006-01-02", "2026-11-26")
	for d := range 60 {
		ids = append(ids, end.AddDate(0, 0, -d).Add(3*time.Hour).Format(IDFormat))
	}
	ids = append(ids, day("2026-11-26 10:00"), day("2026-11-26 16:45"), "not-an-id")
	keep := Retain(ids, KeepDaily, KeepWeekly)
	var kept []string
	for id := range keep {
		kept = append(kept, id)
	}
	slices.Sort(kept)
	require.Equal(t, []string{
		day("2026-11-08 03:00"), // Sunday: the newest of ISO week 45
		day("2026-11-15 03:00"), // week 46
		day("2026-11-20 03:00"), // daily from here on (and week 47's newest is the 22nd)
		day("2026-11-21 03:00"),
		day("2026-11-22 03:00"),
		day("2026-11-23 03:00"),
		day("2026-11-24 03:00"),
		day("2026-11-25 03:00"),
		day("2026-11-26 16:45"), // the newest of its day and week
		"not-an-id",
	}, kept)

	// Gaps do not cost backups: days and weeks that have one count.
	sparse := []string{day("2026-01-05 03:00"), day("2026-03-01 03:00"), day("2026-06-01 03:00")}
	require.Len(t, Retain(sparse, KeepDaily, KeepWeekly), 3)
	require.Empty(t, Retain(nil, KeepDaily, KeepWeekly))
}

// Retention runs after each backup: old ones go, as do unfinished ones
// older than a day; List shows only complete ones.
func TestPruneAndList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	blobs, err := blob.NewDisk(t.TempDir())
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "ordo.db")
	st, err := sqlitestore.Open(ctx, path, testkit.Logger(t))
	require.NoError(t, err)
	require.NoError(t, st.MigrateUp(ctx))
	st.Close()

	clock, _ := time.Parse(time.RFC3339, "2026-10-01T03:00:00Z")
	svc, err := New(Options{Blobs: blobs, SQLitePath: path, Now: func() time.Time { return clock }})
	require.NoError(t, err)
	// An unfinished backup from the start, and a fresh one at the end.
	_, err = blobs.Put(ctx, Prefix+"20260930T000000Z/ordo.db", strings.NewReader("partial"), "application/octet-stream")
	require.NoError(t, err)
	for range 40 {
		_, err := svc.Backup(ctx)
		require.NoError(t, err)
		clock = clock.Add(24 * time.Hour)
	}
	_, err = blobs.Put(ctx, Prefix+"29990101T000000Z/ordo.db", strings.NewReader("in progress"), "application/octet-stream")
	require.NoError(t, err)
	clock = clock.Add(-24 * time.Hour)
	_, err = svc.Prune(ctx)
	require.NoError(t, err)

	list, err := svc.List(ctx)
	require.NoError(t, err)
	var ids []string
	for _, m := range list {
		ids = append(ids, m.ID)
	}
	// Monday 9 November back to the 3rd daily; the newest of ISO week 45
	// (the 8th) and 46 (the 9th) are among them; weeks 44 and 43 add 1
	// November and 25 October.
	require.Len(t, ids, 9, "%v", ids)
	require.Equal(t, "20261025T030000Z", ids[8])
	require.Equal(t, "20261109T030000Z", ids[0], "newest first")
	dirs, err := svc.dirs(ctx)
	require.NoError(t, err)
	var all []string
	for _, d := range dirs {
		all = append(all, d.id)
	}
	require.Contains(t, all, "29990101T000000Z", "a backup in progress is left alone")
	require.NotContains(t, all, "20260930T000000Z", "an old unfinished backup is removed")

	_, err = svc.Manifest(ctx, "20200101T000000Z")
	require.ErrorContains(t, err, "no complete backup")
	_, err = svc.Manifest(ctx, "../etc")
	require.ErrorContains(t, err, "not a backup id")
}

func TestLibpqURL(t *testing.T) {
	t.Parallel()
	u, env, err := libpq("postgres://ordo:s3cret@db:5432/ordo?sslmode=disable&pool_max_conns=10")
	require.NoError(t, err)
	require.Equal(t, "postgres://ordo@db:5432/ordo?sslmode=disable", u)
	require.Contains(t, env, "PGPASSWORD=s3cret")
	require.NotContains(t, u, "s3cret")
	_, _, err = libpq("host=db user=ordo")
	require.Error(t, err)
}

func TestDailyAt(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339, s); return tm }
	d := dailyAt{hour: 3}
	require.Equal(t, at("2026-11-26T03:00:00Z"), d.Next(at("2026-11-26T02:59:59Z")))
	require.Equal(t, at("2026-11-27T03:00:00Z"), d.Next(at("2026-11-26T03:00:00Z")))
	require.Equal(t, at("2026-11-27T03:00:00Z"), d.Next(at("2026-11-26T23:00:00+02:00")))
}

// The nightly job runs the same backup, on the maintenance queue.
func TestJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	blobs, err := blob.NewDisk(t.TempDir())
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "ordo.db")
	st, err := sqlitestore.Open(ctx, path, testkit.Logger(t))
	require.NoError(t, err)
	require.NoError(t, st.MigrateUp(ctx))
	st.Close()
	svc, err := New(Options{Blobs: blobs, SQLitePath: path})
	require.NoError(t, err)

	require.Equal(t, jobs.QueueMaintenance, JobArgs{}.InsertOpts().Queue)
	ws := jobs.NewWorkers()
	svc.RegisterWorkers(ws)
	require.NotNil(t, PeriodicJob().Schedule)
	require.NoError(t, (&worker{s: svc}).Work(ctx, &jobs.Job[JobArgs]{}))
	list, err := svc.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, "sqlite", list[0].Engine)
}
