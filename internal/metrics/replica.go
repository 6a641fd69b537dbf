package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Replica is a read replica as the store's tracker last saw it.
type Replica struct {
	Name  string
	Up    bool
	Lag   time.Duration
	Reads int64
}

var (
	replicaUp = prometheus.NewDesc("ordo_db_replica_up",
		"1 if the read replica answered the last check, 0 if not (its reads then go to the primary).", []string{"replica"}, nil)
	replicaLag = prometheus.NewDesc("ordo_db_replica_lag_seconds",
		"How far the read replica's replay is behind the primary, as this process last measured it.", []string{"replica"}, nil)
	replicaReads = prometheus.NewDesc("ordo_db_replica_reads_total",
		"Lag-tolerant reads (lists, search, dashboard, exports) by where they ran: a replica, or primary when none could serve them.", []string{"target"}, nil)
)

// ObserveReplicas adds the read replicas' metrics, read from status at
// each scrape; primaryReads are the reads that could have gone to a
// replica but went to the primary.
func (m *Metrics) ObserveReplicas(status func() (primaryReads int64, replicas []Replica)) error {
	if m == nil {
		return nil
	}
	return m.reg.Register(replicaCollector(status))
}

type replicaCollector func() (int64, []Replica)

func (c replicaCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- replicaUp
	ch <- replicaLag
	ch <- replicaReads
}

func (c replicaCollector) Collect(ch chan<- prometheus.Metric) {
	primary, rs := c()
	ch <- prometheus.MustNewConstMetric(replicaReads, prometheus.CounterValue, float64(primary), "primary")
	for _, r := range rs {
		up := 0.0
		if r.Up {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(replicaUp, prometheus.GaugeValue, up, r.Name)
		ch <- prometheus.MustNewConstMetric(replicaLag, prometheus.GaugeValue, r.Lag.Seconds(), r.Name)
		ch <- prometheus.MustNewConstMetric(replicaReads, prometheus.CounterValue, float64(r.Reads), r.Name)
	}
}
