package pgstore_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/archive"
	"github.com/ordo/ordo/internal/store/pgstore/pgtest"
)

// Every table of a tenant's data is in the archive with exactly its
// columns, each of the kind its type needs, or is listed as left out
// with why: a new column or table cannot be forgotten by the archive.
// (TestSchemaParity keeps SQLite's schema the same.)
func TestArchiveCoversSchema(t *testing.T) {
	ctx := context.Background()
	s := pgtest.Store(t)
	rows, err := s.Pool().Query(ctx, `SELECT table_name, column_name, udt_name FROM information_schema.columns
		WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`)
	require.NoError(t, err)
	type col struct{ Table, Name, Typ string }
	cols, err := pgx.CollectRows(rows, pgx.RowToStructByPos[col])
	require.NoError(t, err)
	schema := map[string]map[string]string{}
	for _, c := range cols {
		if schema[c.Table] == nil {
			schema[c.Table] = map[string]string{}
		}
		schema[c.Table][c.Name] = c.Typ
	}
	kinds := map[string][]archive.Kind{
		"uuid": {archive.KindUUID, archive.KindUser}, "text": {archive.KindText}, "int2": {archive.KindInt},
		"int4": {archive.KindInt}, "int8": {archive.KindInt}, "bool": {archive.KindBool},
		"timestamptz": {archive.KindTime}, "date": {archive.KindDate}, "jsonb": {archive.KindJSON}, "bytea": {archive.KindBytes},
	}
	archived := map[string]bool{}
	for _, tb := range append([]archive.Table{archive.Users}, archive.Tables...) {
		archived[tb.Name] = true
		have, ok := schema[tb.Name]
		require.True(t, ok, "archived table %s is not in the schema", tb.Name)
		var want, got []string
		for name := range have {
			if archive.NotArchivedColumns[tb.Name+"."+name] == "" {
				want = append(want, name)
			}
		}
		for _, c := range tb.Columns {
			got = append(got, c.Name)
			require.Contains(t, kinds[have[c.Name]], c.Kind, "%s.%s is %s in the schema", tb.Name, c.Name, have[c.Name])
		}
		sort.Strings(want)
		sort.Strings(got)
		require.Equal(t, want, got, "the archive's columns of %s", tb.Name)
	}
	for table, c := range schema {
		if _, tenantOwned := c["tenant_id"]; !tenantOwned || archived[table] {
			continue
		}
		require.NotEmpty(t, archive.NotArchived[table], "tenant table %s is neither archived nor listed in archive.NotArchived", table)
	}
	for table := range archive.NotArchived {
		require.False(t, archived[table], "%s is archived and listed as not", table)
		require.False(t, strings.HasPrefix(table, "river_"))
	}
}
