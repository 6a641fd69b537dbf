package sqlitestore

import (
	"fmt"
	"time"
)

// timeLayout is how timestamps are stored: UTC, fixed width, microseconds,
// so that text order is time order and PostgreSQL's precision is matched.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// ts converts a time to its stored text.
func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

// tsPtr converts an optional time; nil stays NULL.
func tsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

// timeCol scans a stored timestamp into a time.Time.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	s, ok := src.(string)
	if !ok {
		return fmt.Errorf("timestamp column holds %T, want text", src)
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return fmt.Errorf("timestamp column: %w", err)
	}
	*c.t = t
	return nil
}

// nullTimeCol scans a nullable timestamp into a *time.Time.
type nullTimeCol struct{ t **time.Time }

func (c nullTimeCol) Scan(src any) error {
	if src == nil {
		*c.t = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(src); err != nil {
		return err
	}
	*c.t = &t
	return nil
}
