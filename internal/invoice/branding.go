package invoice

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/jpeg" // logo formats
	_ "image/png"
	"io"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/tenant"
)

// MaxLogoBytes is the largest logo accepted. Logos go through Ordo rather
// than straight to storage: they are small, and must be checked to be an
// image the PDF library can embed.
const MaxLogoBytes = 512 << 10

// Branding returns the tenant's invoice branding.
func (s *Service) Branding(ctx context.Context, p access.Principal) (tenant.Branding, error) {
	if err := p.Require(access.ActTenantRead); err != nil {
		return tenant.Branding{}, err
	}
	st, err := s.db.TenantSettings(ctx, p.TenantID)
	return st.Branding, err
}

// SetBranding saves the tenant's address, tax id, accent colour, footer
// and layout direction, keeping the logo. ifMatch, when given, must be the branding's
// current Version (If-Match), or it fails with tenant.ErrBrandingStale.
func (s *Service) SetBranding(ctx context.Context, p access.Principal, b tenant.Branding, ifMatch *int64, m access.Meta) (tenant.Branding, error) {
	if err := p.Require(access.ActTenantUpdate); err != nil {
		return b, err
	}
	if err := b.Normalize(); err != nil {
		return b, err
	}
	var out tenant.Branding
	err := s.updateSettings(ctx, p, m, ifMatch, func(cur *tenant.Branding) {
		b.LogoKey, b.LogoType, b.Version = cur.LogoKey, cur.LogoType, cur.Version
		*cur = b
	}, &out)
	return out, err
}

// SetLogo stores a PNG or JPEG logo for the tenant's invoices.
func (s *Service) SetLogo(ctx context.Context, p access.Principal, r io.Reader, m access.Meta) (tenant.Branding, error) {
	if err := p.Require(access.ActTenantUpdate); err != nil {
		return tenant.Branding{}, err
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxLogoBytes+1))
	if err != nil {
		return tenant.Branding{}, fmt.Errorf("read logo: %w", err)
	}
	if len(data) > MaxLogoBytes {
		return tenant.Branding{}, apperr.Invalid("logo", fmt.Sprintf("must be at most %d KiB", MaxLogoBytes>>10))
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || (format != "png" && format != "jpeg") {
		return tenant.Branding{}, apperr.Invalid("logo", "must be a PNG or JPEG image")
	}
	if cfg.Width > 4096 || cfg.Height > 4096 {
		return tenant.Branding{}, apperr.Invalid("logo", "must be at most 4096 pixels wide and high")
	}
	typ := map[string]string{"png": "png", "jpeg": "jpg"}[format]
	// A new key per logo: invoices being rendered keep the old one.
	key := fmt.Sprintf("tenants/%s/branding/logo-%s.%s", p.TenantID, uuid.Must(uuid.NewV7()), typ)
	if _, err := s.blobs.Put(ctx, key, bytes.NewReader(data), "image/"+format); err != nil {
		return tenant.Branding{}, fmt.Errorf("store logo: %w", err)
	}
	var out tenant.Branding
	old := ""
	err = s.updateSettings(ctx, p, m, nil, func(cur *tenant.Branding) {
		old = cur.LogoKey
		cur.LogoKey, cur.LogoType = key, typ
	}, &out)
	if err != nil {
		_ = s.blobs.Delete(context.WithoutCancel(ctx), key)
		return out, err
	}
	if old != "" {
		_ = s.blobs.Delete(context.WithoutCancel(ctx), old)
	}
	return out, nil
}

// DeleteLogo removes the tenant's logo.
func (s *Service) DeleteLogo(ctx context.Context, p access.Principal, m access.Meta) (tenant.Branding, error) {
	if err := p.Require(access.ActTenantUpdate); err != nil {
		return tenant.Branding{}, err
	}
	var out tenant.Branding
	old := ""
	err := s.updateSettings(ctx, p, m, nil, func(cur *tenant.Branding) {
		old = cur.LogoKey
		cur.LogoKey, cur.LogoType = "", ""
	}, &out)
	if err == nil && old != "" {
		_ = s.blobs.Delete(context.WithoutCancel(ctx), old)
	}
	return out, err
}

// updateSettings changes the branding with fn and audits it, in one
// transaction.
func (s *Service) updateSettings(ctx context.Context, p access.Principal, m access.Meta, ifMatch *int64, fn func(b *tenant.Branding), out *tenant.Branding) error {
	return s.db.InTx(ctx, func(tx Tx) error {
		// The tenant's row lock serialises changes to its settings
		// document: read, change and write it as one, so that two
		// changes cannot both pass If-Match or lose each other's fields.
		if err := tx.MembershipLock(ctx, p.TenantID); err != nil {
			return err
		}
		st, err := tx.TenantSettings(ctx, p.TenantID)
		if err != nil {
			return err
		}
		if ifMatch != nil && *ifMatch != st.Branding.Version {
			return tenant.ErrBrandingStale
		}
		prev, was := st.Branding.LogoKey, st.Branding.Version
		fn(&st.Branding)
		// A replaced or removed logo's object goes with this commit,
		// whatever happens after it.
		if prev != "" && prev != st.Branding.LogoKey {
			if err := jobs.DeleteBlobs(ctx, tx, p.TenantID, prev); err != nil {
				return err
			}
		}
		n := now()
		st.Branding.Version = max(n.UnixMicro(), was+1)
		if err := tx.TenantSettingsUpdate(ctx, p.TenantID, st, n); err != nil {
			return err
		}
		b := st.Branding
		if out != nil {
			*out = b
		}
		ae, err := p.AuditEntry(m, n, p.TenantID, "tenant.branding_updated", "tenant", p.TenantID.String(),
			map[string]any{"address": b.Address, "tax_id": b.TaxID, "accent_color": b.AccentColor, "footer": b.Footer, "rtl": b.RTL, "logo": b.LogoKey != ""})
		if err != nil {
			return err
		}
		return tx.AuditInsert(ctx, ae)
	})
}
