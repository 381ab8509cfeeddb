package jobs

import (
	"context"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"
)

// Queue health for operators: at every scrape, one grouped count of the
// jobs that are not finished well, by kind and state. Labels come only
// from the fixed kinds and states below, never from the rows' contents.

// Metric states, and the River states each counts.
var metricStates = map[string][]string{
	"queued":    {"available", "scheduled", "pending"},
	"running":   {"running"},
	"retried":   {"retryable"},
	"discarded": {"discarded"},
}

// Collector reports the job queue's health as app_jobs{kind, state}.
type Collector struct {
	gdb  *gorm.DB
	desc *prometheus.Desc
	errs prometheus.Counter
}

// NewCollector returns the queue collector of gdb's jobs.
func NewCollector(gdb *gorm.DB) *Collector {
	return &Collector{
		gdb: gdb,
		desc: prometheus.NewDesc("app_jobs", "Jobs by kind and state: queued (waiting to run), running, retried (failed, to be retried), discarded (failed for good, kept 7 days).",
			[]string{"kind", "state"}, nil),
		errs: prometheus.NewCounter(prometheus.CounterOpts{Name: "app_jobs_scrape_errors_total", Help: "Scrapes whose job counts could not be read."}),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.desc
	c.errs.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	counts, err := c.counts()
	if err != nil {
		c.errs.Inc()
	}
	for _, kind := range Kinds {
		for state := range metricStates {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[kind][state]), kind, state)
		}
	}
	c.errs.Collect(ch)
}

// counts reads the counts, kind -> metric state -> jobs.
func (c *Collector) counts() (map[string]map[string]int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var rows []struct {
		Kind  string
		State string
		N     int64
	}
	var states []string
	for _, s := range metricStates {
		states = append(states, s...)
	}
	err := c.gdb.WithContext(ctx).Raw(`SELECT kind, state, count(*) AS n FROM river_job
		WHERE state IN ? GROUP BY kind, state`, states).Scan(&rows).Error
	out := map[string]map[string]int64{}
	for _, r := range rows {
		if !slices.Contains(Kinds, r.Kind) {
			continue
		}
		for m, riverStates := range metricStates {
			if slices.Contains(riverStates, r.State) {
				if out[r.Kind] == nil {
					out[r.Kind] = map[string]int64{}
				}
				out[r.Kind][m] += r.N
			}
		}
	}
	return out, err
}
