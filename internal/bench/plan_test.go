package bench

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPlan(t *testing.T) {
	for _, c := range []struct {
		tenants, orders int
		want            []int
		flat            []int
	}{
		{2, 200, []int{100, 100}, []int{0}},
		{3, 200, []int{67, 67, 66}, []int{2, 0}},
		{3, 6000, []int{2000, 3000, 1000}, []int{2, 0, 1}},
		{5, 100_000, []int{20_000, 50_000, 14_500, 14_500, 1000}, []int{4, 0, 1}},
		{100, 1_000_000, nil, []int{99, 0, 1}},
	} {
		per, batches := plan(c.tenants, c.orders, 2000)
		sum := 0
		for _, n := range per {
			sum += n
		}
		require.Equal(t, c.orders, sum, "%+v", c)
		if c.want != nil {
			require.Equal(t, c.want, per)
		}
		require.Equal(t, c.flat, flatTenants(per), "%+v", c)
		seeded := 0
		for _, b := range batches {
			require.LessOrEqual(t, b.to-b.from, 2000)
			seeded += b.to - b.from
		}
		require.Equal(t, c.orders, seeded)
	}
	per, _ := plan(100, 1_000_000, 2000)
	require.Equal(t, 10_000, per[0], "the first tenant keeps the average share")
	require.Equal(t, 500_000, per[1])
	require.Equal(t, 1000, per[99])
}
