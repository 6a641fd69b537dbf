package sqlshared

import (
	"strconv"
	"strings"

	"github.com/ordo/ordo/internal/archive"
)

// Queries of tenant archives, the same on both engines.
const (
	ArchiveUserIDByEmail = `SELECT id FROM users WHERE email = lower($1)`
	ArchiveUserExists    = `SELECT count(*) FROM users WHERE id = $1`
	ArchiveTenantTaken   = `SELECT count(*) FROM tenants WHERE id = $1 OR slug = $2`
)

// ArchiveSelect selects t's rows of a tenant ($1), each column through
// cast (the engine's way to read it as archive.Portable takes it).
func ArchiveSelect(t archive.Table, cast func(col string, k archive.Kind) string) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(cast(`"`+c.Name+`"`, c.Kind))
	}
	b.WriteString(" FROM " + t.Name)
	if t.Where != "" {
		b.WriteString(" WHERE " + t.Where)
	}
	b.WriteString(" ORDER BY " + t.Order)
	return b.String()
}

// ArchiveInsert inserts one row of t.
func ArchiveInsert(t archive.Table) string {
	names := make([]string, len(t.Columns))
	params := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = `"` + c.Name + `"`
		params[i] = "$" + strconv.Itoa(i+1)
	}
	return "INSERT INTO " + t.Name + " (" + strings.Join(names, ", ") + ") VALUES (" + strings.Join(params, ", ") + ")"
}

// ArchiveCount counts t's rows of a tenant ($1).
func ArchiveCount(t archive.Table) string {
	return "SELECT count(*) FROM " + t.Name + " WHERE " + t.Where
}
