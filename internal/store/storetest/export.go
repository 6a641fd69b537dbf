package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/export"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/store"
)

func testExports(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, u := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	n := now()
	after := n.Add(-time.Hour)
	e := export.Export{ID: newID(), TenantID: a, CreatedBy: &u.ID, Format: export.FormatCSV, Status: export.StatusQueued,
		Filters: export.Filters{Status: order.StatusPending, CreatedAfter: &after, Query: "x"}, CreatedAt: n, UpdatedAt: n}
	require.NoError(t, s.ExportCreate(ctx, e))
	got, err := s.ExportGet(ctx, a, e.ID)
	require.NoError(t, err)
	require.Equal(t, export.StatusQueued, got.Status)
	require.Equal(t, order.StatusPending, got.Filters.Status)
	require.True(t, after.Equal(*got.Filters.CreatedAfter))
	_, err = s.ExportGet(ctx, b, e.ID)
	requireKind(t, err, apperr.ErrNotFound)

	exp := n.Add(-time.Minute)
	got.Status, got.Done, got.Total, got.OrderCount, got.RowCount, got.Size, got.ObjectKey, got.ExpiresAt, got.CompletedAt = export.StatusCompleted, 3, 3, 3, 5, 99, "k", &exp, &n
	require.NoError(t, s.ExportUpdate(ctx, got))
	again, err := s.ExportGet(ctx, a, e.ID)
	require.NoError(t, err)
	require.Equal(t, int64(3), again.OrderCount, "orders and file rows are kept apart")
	require.Equal(t, int64(5), again.RowCount)
	require.True(t, exp.Equal(*again.ExpiresAt))
	other := got
	other.TenantID = b
	requireKind(t, s.ExportUpdate(ctx, other), apperr.ErrNotFound)

	list, err := s.ExportList(ctx, a, page.Request{Limit: 10})
	require.NoError(t, err)
	require.Len(t, list, 1)
	newer := newID()
	list, err = s.ExportList(ctx, a, page.Request{After: &newer, Limit: 10})
	require.NoError(t, err)
	require.Len(t, list, 1, "a cursor newer than the export")
	list, err = s.ExportList(ctx, a, page.Request{After: &e.ID, Limit: 10})
	require.NoError(t, err)
	require.Empty(t, list, "the cursor's own row is not on the page after it")
	list, err = s.ExportList(ctx, b, page.Request{After: &newer, Limit: 10})
	require.NoError(t, err)
	require.Empty(t, list, "another tenant's exports")
	expired, err := s.ExportListExpired(ctx, n, 100)
	require.NoError(t, err)
	found := false
	for _, x := range expired {
		found = found || x.ID == e.ID
	}
	require.True(t, found)

	for range 3 {
		createOrder(t, s, a, n)
	}
	createOrder(t, s, b, n)
	c, err := s.OrderCount(ctx, order.ListParams{TenantID: a})
	require.NoError(t, err)
	require.Equal(t, int64(3), c)
	c, err = s.OrderCount(ctx, order.ListParams{TenantID: a, Status: order.StatusShipped})
	require.NoError(t, err)
	require.Zero(t, c)

	// Deleting through another tenant leaves the export alone; deleting
	// what is already gone is not an error.
	require.NoError(t, s.ExportDelete(ctx, b, e.ID))
	_, err = s.ExportGet(ctx, a, e.ID)
	require.NoError(t, err, "another tenant's delete removed the export")
	keep := export.Export{ID: newID(), TenantID: a, Format: export.FormatPDF, Status: export.StatusQueued, CreatedAt: n, UpdatedAt: n}
	require.NoError(t, s.ExportCreate(ctx, keep))
	require.NoError(t, s.ExportDelete(ctx, a, e.ID))
	_, err = s.ExportGet(ctx, a, e.ID)
	requireKind(t, err, apperr.ErrNotFound)
	require.NoError(t, s.ExportDelete(ctx, a, e.ID))
	list, err = s.ExportList(ctx, a, page.Request{Limit: 10})
	require.NoError(t, err)
	require.Len(t, list, 1, "only the deleted export is gone")
	require.Equal(t, keep.ID, list[0].ID)
}
