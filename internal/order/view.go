package order

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// View is how an order looks outside Ordo: in API responses, events and
// webhooks alike. snake_case names, money in minor units.
type View struct {
	ID              uuid.UUID       `json:"id"`
	Number          string          `json:"number"`
	Status          Status          `json:"status"`
	CustomerName    string          `json:"customer_name"`
	CustomerEmail   string          `json:"customer_email"`
	CustomerPhone   string          `json:"customer_phone"`
	ShippingAddress *Address        `json:"shipping_address"`
	BillingAddress  *Address        `json:"billing_address"`
	Currency        string          `json:"currency"`
	Subtotal        int64           `json:"subtotal"`
	Tax             int64           `json:"tax"`
	Discount        int64           `json:"discount"`
	Total           int64           `json:"total"`
	Notes           string          `json:"notes"`
	ExternalRef     string          `json:"external_ref"`
	Metadata        json.RawMessage `json:"metadata"`
	Items           []ItemView      `json:"items"`
	Version         int64           `json:"version"`
	CreatedAt       time.Time       `json:"created_at"`
	UpdatedAt       time.Time       `json:"updated_at"`
}

// ItemView is an order line as shown outside.
type ItemView struct {
	ID          uuid.UUID       `json:"id"`
	SKU         string          `json:"sku"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Quantity    int64           `json:"quantity"`
	UnitPrice   int64           `json:"unit_price"`
	TaxRateBP   int64           `json:"tax_rate_bp"`
	Total       int64           `json:"total"` // quantity × unit price
	Metadata    json.RawMessage `json:"metadata"`
}

// ToView converts an order for the outside.
func ToView(o Order) View {
	v := View{ID: o.ID, Number: o.DisplayNumber(), Status: o.Status, CustomerName: o.CustomerName, CustomerEmail: o.CustomerEmail,
		CustomerPhone: o.CustomerPhone, ShippingAddress: o.ShippingAddress, BillingAddress: o.BillingAddress, Currency: o.Currency,
		Subtotal: o.Subtotal, Tax: o.Tax, Discount: o.Discount, Total: o.Total, Notes: o.Notes, ExternalRef: o.ExternalRef,
		Metadata: nonEmpty(o.Metadata), Items: make([]ItemView, len(o.Items)), Version: o.Version, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	for i, it := range o.Items {
		v.Items[i] = ItemView{ID: it.ID, SKU: it.SKU, Name: it.Name, Description: it.Description, Quantity: it.Quantity,
			UnitPrice: it.UnitPrice, TaxRateBP: it.TaxRateBP, Total: it.LineTotal, Metadata: nonEmpty(it.Metadata)}
	}
	return v
}

func nonEmpty(m json.RawMessage) json.RawMessage {
	if len(m) == 0 {
		return json.RawMessage("{}")
	}
	return m
}
