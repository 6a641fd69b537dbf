package tenant

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
)

// Settings are a tenant's preferences, kept as one JSON document so that
// adding one needs no migration.
type Settings struct {
	Branding Branding `json:"branding"`
}

// Branding is what the tenant's invoices show about the tenant.
type Branding struct {
	Address     string `json:"address,omitempty"`
	TaxID       string `json:"tax_id,omitempty"`
	AccentColor string `json:"accent_color,omitempty"` // "#RRGGBB"
	Footer      string `json:"footer,omitempty"`
	// RTL lays the tenant's invoices out right to left (mirrored), for
	// tenants writing Arabic, Hebrew or another right-to-left script.
	RTL bool `json:"rtl,omitempty"`
	// LogoKey is the object key of the uploaded logo, LogoType its image
	// format ("png" or "jpg"); empty when there is none.
	LogoKey  string `json:"logo_key,omitempty"`
	LogoType string `json:"logo_type,omitempty"`
	// Version changes with every change of the branding (a Unix
	// microsecond time, always rising): the API's ETag. 0 before the first.
	Version int64 `json:"version,omitempty"`
}

// ErrBrandingStale is the answer to a branding change made against a
// version of it that is no longer the current one (If-Match).
var ErrBrandingStale = &apperr.Error{Kind: apperr.KindPrecondition, Msg: "the branding was changed by someone else; fetch it again"}

// SettingsStore is what tenant settings need from persistence.
type SettingsStore interface {
	// TenantSettings returns the tenant's settings (zero values if never
	// set).
	TenantSettings(ctx context.Context, id uuid.UUID) (Settings, error)
	// TenantSettingsUpdate replaces the tenant's settings.
	TenantSettingsUpdate(ctx context.Context, id uuid.UUID, s Settings, now time.Time) error
}

var colorRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// Normalize trims b's fields and checks them, naming every field at
// fault. Lengths are in characters, not bytes: a footer in Japanese may be
// as long as one in English.
func (b *Branding) Normalize() error {
	b.Address = strings.TrimSpace(b.Address)
	b.TaxID = strings.TrimSpace(b.TaxID)
	b.AccentColor = strings.ToLower(strings.TrimSpace(b.AccentColor))
	b.Footer = strings.TrimSpace(b.Footer)
	var v apperr.Validation
	for _, f := range []struct {
		name, value string
		max         int
	}{{"address", b.Address, 500}, {"tax_id", b.TaxID, 64}, {"footer", b.Footer, 500}} {
		if n := utf8.RuneCountInString(f.value); n > f.max {
			v.AddRule(f.name, apperr.RuleTooLong, fmt.Sprintf("must be at most %d characters", f.max), int64(f.max))
		}
	}
	if b.AccentColor != "" && !colorRE.MatchString(b.AccentColor) {
		v.AddRule("accent_color", apperr.RuleFormat, "must be a colour like #1f6feb")
	}
	return v.Err()
}
