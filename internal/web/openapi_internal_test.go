package web

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOpenAPIEnums checks the document's closed sets against the code:
// every value is of its Go type and, where the type can say, valid; and
// no value is listed twice.
func TestOpenAPIEnums(t *testing.T) {
	for typ, vals := range enumValues {
		require.NotEmpty(t, vals, typ.String())
		seen := map[any]bool{}
		for _, v := range vals {
			require.Equal(t, typ, reflect.TypeOf(v), "%s lists %v", typ, v)
			require.False(t, seen[v], "%s lists %v twice", typ, v)
			seen[v] = true
			if valid, ok := v.(interface{ Valid() bool }); ok {
				require.True(t, valid.Valid(), "%s %v is valid", typ, v)
			}
		}
		if zero, ok := reflect.Zero(typ).Interface().(interface{ Valid() bool }); ok {
			require.False(t, zero.Valid(), "%s: the empty value is not in the set", typ)
		}
	}
}
