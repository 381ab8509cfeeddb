package web

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

func newEventFailures(reg *prometheus.Registry) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "link_event_write_failures_total",
		Help: "Events of a link's history that could not be stored (the page was shown anyway), by event type.",
	}, []string{"event"})
	reg.MustRegister(c)
	return c
}

// eventNotStored logs and counts a history event that could not be written
// where the page must render anyway (the consent page on a full disk, a
// callback's event after its outcome was settled). typ is one of the
// access.Event* constants or "callback", never request data, so the label
// set stays fixed.
func (s *Server) eventNotStored(ctx context.Context, typ string, err error) {
	s.eventFailures.WithLabelValues(typ).Inc()
	s.log.ErrorContext(ctx, "link event not stored", "event", typ, "err", err)
}
