package pgstore

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"strconv"

	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// SchemaHash is a digest of every migration MigrateUp applies: Ordo's SQL
// files and River's. Tests name their migrated template database by it
// (internal/store/pgstore/pgtest), so that a template built from other
// migrations is never cloned.
func SchemaHash() (string, error) {
	h := sha256.New()
	// fs.WalkDir visits in lexical order, so the digest is stable.
	err := fs.WalkDir(migrationFS, "migrations", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrationFS, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "ordo %s %d\n", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash migrations: %w", err)
	}
	// A driver without a pool is enough to list River's migrations.
	rm, err := rivermigrate.New(riverpgxv5.New(nil), nil)
	if err != nil {
		return "", fmt.Errorf("river migrations: %w", err)
	}
	for _, m := range rm.AllVersions() {
		h.Write([]byte("river " + strconv.Itoa(m.Version) + " " + strconv.Itoa(len(m.SQLUp)) + "\n"))
		h.Write([]byte(m.SQLUp))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
