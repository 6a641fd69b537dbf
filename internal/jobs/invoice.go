package jobs

import "github.com/google/uuid"

// InvoiceArgs is the invoice job, which package invoice works. It is
// declared here, with the kind, because two packages enqueue it: invoice
// on a request, and order when an order ships (order cannot import
// invoice, which imports order). Generation ties the job to one request:
// a job left behind by a newer request does nothing.
type InvoiceArgs struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	OrderID    uuid.UUID `json:"order_id"`
	Generation int       `json:"generation"`
}

func (InvoiceArgs) Kind() string { return KindInvoice }

func (InvoiceArgs) InsertOpts() Opts {
	return Opts{Queue: QueueInvoices, MaxAttempts: 10}
}
