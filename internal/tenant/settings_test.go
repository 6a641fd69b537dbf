package tenant

import (
	"strings"
	"testing"

	"github.com/ordo/ordo/internal/apperr"
)

func TestBrandingNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		b      Branding
		fields []string // at fault, in order; none for a valid one
	}{
		{"valid", Branding{Address: " 1 Rue de la Paix ", AccentColor: "#1F6FEB"}, nil},
		// Lengths are characters: 500 in Japanese are 1,500 bytes.
		{"long in characters, not bytes", Branding{Footer: strings.Repeat("請", 500), Address: strings.Repeat("é", 500)}, nil},
		{"too long", Branding{Footer: strings.Repeat("請", 501)}, []string{"footer"}},
		{"every field at fault", Branding{Address: strings.Repeat("a", 501), TaxID: strings.Repeat("1", 65), AccentColor: "blue", Footer: strings.Repeat("f", 3000)},
			[]string{"address", "tax_id", "footer", "accent_color"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.b.Normalize()
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("Normalize: %v", err)
				}
				return
			}
			ae, ok := apperr.As(err)
			if !ok {
				t.Fatalf("Normalize: %v, want a validation error", err)
			}
			var got []string
			for _, f := range ae.Fields {
				got = append(got, f.Field)
			}
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Errorf("fields at fault %v, want %v", got, tt.fields)
			}
		})
	}
}
