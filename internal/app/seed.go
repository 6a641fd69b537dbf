package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/config"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/tenant"
)

// Demo data made by `ordo seed`.
const (
	seedTenantSlug = "acme"
	seedUserEmail  = "demo@example.com"
)

// seed creates a demo tenant with an owner. It is idempotent: a second run
// finds the tenant and changes nothing.
func seed(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	svc, err := openServices(ctx, cfg, log, openOpts{migrate: cfg.Mode() == config.ModeEmbedded, storeOnly: true})
	if err != nil {
		return err
	}
	defer svc.close()
	ok, err := svc.store.SchemaCurrent(ctx)
	if err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	if !ok {
		return errors.New("migrations are pending: run `ordo migrate up` first")
	}

	if _, err := svc.store.TenantGetBySlug(ctx, seedTenantSlug); err == nil {
		fmt.Fprintf(stdout, "demo data already present (tenant %q)\n", seedTenantSlug)
		return nil
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return err
	}

	now := time.Now().UTC()
	t := tenant.Tenant{ID: uuid.Must(uuid.NewV7()), Name: "Acme Inc.", Slug: seedTenantSlug, Plan: tenant.PlanPro, Status: tenant.StatusActive, CreatedAt: now, UpdatedAt: now}
	err = svc.store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.TenantCreate(ctx, t); err != nil {
			return err
		}
		u, err := tx.UserGetByEmail(ctx, seedUserEmail)
		if errors.Is(err, apperr.ErrNotFound) {
			u = account.User{ID: uuid.Must(uuid.NewV7()), Email: seedUserEmail, Name: "Demo Owner", EmailVerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
			err = tx.UserCreate(ctx, u)
		}
		if err != nil {
			return err
		}
		return tx.MembershipCreate(ctx, account.Membership{TenantID: t.ID, UserID: u.ID, Role: account.RoleOwner, CreatedAt: now, UpdatedAt: now})
	})
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(stdout, "created demo tenant %q with owner %s\n", t.Slug, seedUserEmail)
	return nil
}
