package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/ordo/ordo/internal/config"
)

// migrate runs `ordo migrate up|down|status`.
func migrate(ctx context.Context, cfg config.Config, log *slog.Logger, op string, stdout io.Writer) error {
	if op != "up" && op != "down" && op != "status" {
		return usageError{fmt.Sprintf("unknown migrate command %q (want up, down or status)", op)}
	}
	svc, err := openServices(ctx, cfg, log, openOpts{storeOnly: true, direct: true})
	if err != nil {
		return err
	}
	defer svc.close()
	switch op {
	case "up":
		if err := svc.store.MigrateUp(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "migrations are current")
	case "down":
		if err := svc.store.MigrateDown(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "rolled back one migration")
	case "status":
		ms, err := svc.store.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "COMPONENT\tVERSION\tNAME\tSTATE\tAPPLIED AT")
		for _, m := range ms {
			state, at := "pending", ""
			if m.Applied {
				state = "applied"
				if !m.AppliedAt.IsZero() {
					at = m.AppliedAt.UTC().Format(time.RFC3339)
				}
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", m.Component, m.Version, m.Name, state, at)
		}
		return tw.Flush()
	}
	return nil
}
