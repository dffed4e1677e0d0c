package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"hoso/pipeline"
	"hoso/search"
)

// Metrics exposes hoso's figures in Prometheus's format: documents by
// state, failures by reason, queue depth and index lag read from the
// database at each scrape, and stage durations observed as jobs finish.
type Metrics struct {
	store  pipeline.Store
	index  *search.Index
	logger *slog.Logger
	reg    *prometheus.Registry
	stage  *prometheus.HistogramVec
	wait   *prometheus.HistogramVec
	jobs   *prometheus.CounterVec

	documents, failures, queue, lag, nodeLag, nodeAge *prometheus.Desc
}

// NewMetrics returns the metrics of a store and (optionally) an index.
func NewMetrics(store pipeline.Store, index *search.Index, logger *slog.Logger) *Metrics {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{store: store, index: index, logger: logger, reg: prometheus.NewRegistry(),
		stage: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hoso_stage_duration_seconds", Help: "Time a pipeline stage's job ran, by stage.",
			Buckets: []float64{.001, .005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"stage"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hoso_stage_queue_wait_seconds", Help: "Time a stage's job waited in the queue before it ran, by stage.",
			Buckets: []float64{.001, .01, .1, .5, 1, 5, 30, 120, 600},
		}, []string{"stage"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hoso_stage_jobs_total", Help: "Stage jobs finished, by stage and outcome.",
		}, []string{"stage", "outcome"}),
		documents: prometheus.NewDesc("hoso_documents", "Documents by state.", []string{"state"}, nil),
		failures:  prometheus.NewDesc("hoso_documents_failed", "Failed documents by reason code.", []string{"reason"}, nil),
		queue:     prometheus.NewDesc("hoso_queue_depth", "Jobs waiting to run, by queue.", []string{"queue"}, nil),
		lag:       prometheus.NewDesc("hoso_index_lag", "Change-feed entries the search index has not taken in yet.", nil, nil),
		nodeLag:   prometheus.NewDesc("hoso_index_node_lag", "Change-feed entries each search node has not taken in yet.", []string{"node"}, nil),
		nodeAge:   prometheus.NewDesc("hoso_index_node_age_seconds", "Seconds since each search node last recorded its place in the change feed.", []string{"node"}, nil),
	}
	m.reg.MustRegister(m.stage, m.wait, m.jobs, m, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// SetIndex adds the index's lag to the metrics.
func (m *Metrics) SetIndex(ix *search.Index) { m.index = ix }

// ObserveJob records a finished stage job.
func (m *Metrics) ObserveJob(stage string, run, wait time.Duration, outcome string) {
	m.stage.WithLabelValues(stage).Observe(run.Seconds())
	m.wait.WithLabelValues(stage).Observe(wait.Seconds())
	m.jobs.WithLabelValues(stage, outcome).Inc()
}

// Handler serves the metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: nil})
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.documents
	ch <- m.failures
	ch <- m.queue
	ch <- m.lag
	ch <- m.nodeLag
	ch <- m.nodeAge
}

// Collect implements prometheus.Collector: it reads the counts now.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if counts, err := m.store.DocumentCountByState(ctx, pipeline.DocumentCountByStateParams{}); err == nil {
		for _, st := range pipeline.States {
			ch <- prometheus.MustNewConstMetric(m.documents, prometheus.GaugeValue, float64(counts[st]), string(st))
		}
	} else {
		m.logger.WarnContext(ctx, "Metrics: documents not counted", "error", err)
	}
	if fails, err := m.store.FailureCounts(ctx); err == nil {
		for _, f := range fails {
			ch <- prometheus.MustNewConstMetric(m.failures, prometheus.GaugeValue, float64(f.Count), f.Code)
		}
	}
	if depth, err := m.store.QueueDepth(ctx); err == nil {
		for _, q := range pipeline.Queues {
			ch <- prometheus.MustNewConstMetric(m.queue, prometheus.GaugeValue, float64(depth[q]), q)
		}
	}
	if m.index != nil {
		if hwm, err := m.index.HighWaterMark(); err == nil {
			if lag, err := m.store.ChangeFeedCountAfter(ctx, hwm); err == nil {
				ch <- prometheus.MustNewConstMetric(m.lag, prometheus.GaugeValue, float64(lag))
			}
		}
	}
	if nodes, err := m.store.FeedNodeList(ctx); err == nil {
		for _, n := range nodes {
			ch <- prometheus.MustNewConstMetric(m.nodeLag, prometheus.GaugeValue, float64(n.Lag), n.Node)
			ch <- prometheus.MustNewConstMetric(m.nodeAge, prometheus.GaugeValue, time.Since(n.UpdatedAt).Seconds(), n.Node)
		}
	}
}
