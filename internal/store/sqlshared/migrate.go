package sqlshared

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/ordo/ordo/internal/store"
)

// Migrations runs Ordo's own migrations (goose, one SQL file per version
// in each engine's migrations folder) and then River's, which River ships
// for each engine. Engines wrap it with their own locking. It lives here,
// with the engines' other shared code, so that River stays out of every
// package but the jobs seam and the engines.
type Migrations[TTx any] struct {
	Ordo  *goose.Provider
	River *rivermigrate.Migrator[TTx]
	// OnJobs, when set, runs after River's migrations: Ordo's own
	// additions to River's tables (the fair fetch's index), which cannot
	// be versioned migrations because Ordo's migrations run first. Each
	// statement must be idempotent (IF NOT EXISTS).
	OnJobs func(ctx context.Context) error
}

// Up applies every pending migration.
func (m Migrations[TTx]) Up(ctx context.Context) error {
	if _, err := m.Ordo.Up(ctx); err != nil {
		return fmt.Errorf("migrate ordo schema: %w", err)
	}
	if _, err := m.River.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate job queue schema: %w", err)
	}
	if m.OnJobs != nil {
		if err := m.OnJobs(ctx); err != nil {
			return fmt.Errorf("index the job queue: %w", err)
		}
	}
	return nil
}

// Down rolls back Ordo's most recent migration. River's schema is left in
// place: it holds jobs, and removing it is never part of a rollback.
func (m Migrations[TTx]) Down(ctx context.Context) error {
	if _, err := m.Ordo.Down(ctx); err != nil {
		return fmt.Errorf("roll back ordo schema: %w", err)
	}
	return nil
}

// Status lists every migration with whether it is applied.
func (m Migrations[TTx]) Status(ctx context.Context) ([]store.Migration, error) {
	st, err := m.Ordo.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("ordo migration status: %w", err)
	}
	var out []store.Migration
	for _, s := range st {
		out = append(out, store.Migration{
			Component: "ordo",
			Version:   s.Source.Version,
			Name:      strings.TrimSuffix(path.Base(s.Source.Path), ".sql"),
			Applied:   s.State == goose.StateApplied,
			AppliedAt: s.AppliedAt,
		})
	}
	existing, err := m.River.ExistingVersions(ctx)
	if err != nil {
		// Before the first migration River's version table does not exist.
		existing = nil
	}
	applied := map[int]bool{}
	for _, e := range existing {
		applied[e.Version] = true
	}
	for _, v := range m.River.AllVersions() {
		out = append(out, store.Migration{Component: "river", Version: int64(v.Version), Name: v.Name, Applied: applied[v.Version]})
	}
	return out, nil
}

// Current reports whether nothing is pending.
func (m Migrations[TTx]) Current(ctx context.Context) (bool, error) {
	pending, err := m.Ordo.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("check ordo migrations: %w", err)
	}
	if pending {
		return false, nil
	}
	st, err := m.Status(ctx)
	if err != nil {
		return false, err
	}
	for _, s := range st {
		if !s.Applied {
			return false, nil
		}
	}
	return true, nil
}
