package storetest

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/attachment"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/store"
)

func testAttachments(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, u := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	o := createOrder(t, s, a, now())
	n := now()
	mk := func(withOrder bool, age time.Duration) attachment.Attachment {
		id := newID()
		at := attachment.Attachment{ID: id, TenantID: a, UploadedBy: &u.ID, Filename: "f.pdf", ContentType: "application/pdf", Size: 10,
			ObjectKey: "tenants/" + a.String() + "/attachments/" + id.String(), Status: attachment.StatusPending, CreatedAt: n.Add(-age), UpdatedAt: n}
		if withOrder {
			at.OrderID = &o.ID
		}
		return at
	}
	withOrder, loose, stale := mk(true, 0), mk(false, 0), mk(false, 25*time.Hour)
	for _, at := range []attachment.Attachment{withOrder, loose, stale} {
		require.NoError(t, s.AttachmentCreate(ctx, at))
	}
	got, err := s.AttachmentGet(ctx, a, withOrder.ID)
	require.NoError(t, err)
	require.Equal(t, o.ID, *got.OrderID)
	require.Equal(t, attachment.StatusPending, got.Status)
	_, err = s.AttachmentGet(ctx, b, withOrder.ID)
	requireKind(t, err, apperr.ErrNotFound)

	require.NoError(t, s.AttachmentOrderExists(ctx, a, o.ID))
	requireKind(t, s.AttachmentOrderExists(ctx, b, o.ID), apperr.ErrNotFound)
	requireKind(t, s.AttachmentOrderExists(ctx, a, newID()), apperr.ErrNotFound)

	list, err := s.AttachmentList(ctx, a, &o.ID, page.Request{Limit: 10})
	require.NoError(t, err)
	require.Len(t, list, 1)
	all, err := s.AttachmentList(ctx, a, nil, page.Request{Limit: 10})
	require.NoError(t, err)
	require.Len(t, all, 3)
	none, err := s.AttachmentList(ctx, b, nil, page.Request{Limit: 10})
	require.NoError(t, err)
	require.Empty(t, none)

	// Pages: newest first by id, the page after a cursor strictly older,
	// with and without the order's condition; another tenant's cursor
	// selects nothing of a's for b.
	ids := []uuid.UUID{stale.ID, loose.ID, withOrder.ID}
	slices.SortFunc(ids, func(x, y uuid.UUID) int { return -bytes.Compare(x[:], y[:]) })
	first, err := s.AttachmentList(ctx, a, nil, page.Request{Limit: 2})
	require.NoError(t, err)
	require.Equal(t, ids[:2], attachmentIDs(first))
	rest, err := s.AttachmentList(ctx, a, nil, page.Request{After: &first[1].ID, Limit: 2})
	require.NoError(t, err)
	require.Equal(t, ids[2:], attachmentIDs(rest))
	older, err := s.AttachmentList(ctx, a, &o.ID, page.Request{After: &withOrder.ID, Limit: 10})
	require.NoError(t, err)
	require.Empty(t, older, "the cursor's own row is not on the page after it")
	newer := newID()
	ofOrder, err := s.AttachmentList(ctx, a, &o.ID, page.Request{After: &newer, Limit: 10})
	require.NoError(t, err)
	require.Equal(t, []uuid.UUID{withOrder.ID}, attachmentIDs(ofOrder))
	theirs, err := s.AttachmentList(ctx, b, nil, page.Request{After: &newer, Limit: 10})
	require.NoError(t, err)
	require.Empty(t, theirs)

	require.NoError(t, s.AttachmentSetStatus(ctx, a, withOrder.ID, attachment.StatusUploaded, n))
	files, bytes, err := s.AttachmentUsage(ctx, a)
	require.NoError(t, err)
	require.Equal(t, int64(1), files, "only uploaded files count")
	require.Equal(t, int64(10), bytes)
	files, _, err = s.AttachmentUsage(ctx, b)
	require.NoError(t, err)
	require.Zero(t, files)
	requireKind(t, s.AttachmentSetStatus(ctx, b, withOrder.ID, attachment.StatusFailed, n), apperr.ErrNotFound)

	old, err := s.AttachmentListStale(ctx, n.Add(-24*time.Hour), 100)
	require.NoError(t, err)
	found := false
	for _, x := range old {
		found = found || x.ID == stale.ID
		require.NotEqual(t, withOrder.ID, x.ID)
	}
	require.True(t, found, "a pending upload older than a day is stale")

	requireKind(t, s.AttachmentDelete(ctx, b, loose.ID), apperr.ErrNotFound)
	require.NoError(t, s.AttachmentDelete(ctx, a, loose.ID))
	_, err = s.AttachmentGet(ctx, a, loose.ID)
	requireKind(t, err, apperr.ErrNotFound)
}

func attachmentIDs(as []attachment.Attachment) []uuid.UUID {
	out := make([]uuid.UUID, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}
