package render

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// MetricsPrefix begins every metric name. gitlab-ci-pipelines-exporter
// names its metrics after the thing measured under its own namespace
// (gitlab_ci_pipeline_status, gitlab_ci_pipeline_job_run_count) and its
// self-metrics under its own short name (gcpe_); supportmatrix's metrics
// measure the support program, not GitLab CI, so they take the tool's name,
// which no other exporter uses and which a query can select as a whole
// ({__name__=~"supportmatrix_.*"}).
const MetricsPrefix = "supportmatrix_"

// OpenMetrics renders the table's numbers in the OpenMetrics text format
// (https://prometheus.io/docs/specs/om/open_metrics_spec/), for
// node_exporter's textfile collector or a Pages file a Prometheus scrapes:
// per distribution × minor its level and green runs, per feature cell its
// status, flake rate, runs and last run time, and when the newest run
// finished and when the levels were judged.
//
// Names and labels follow gitlab-ci-pipelines-exporter's conventions
// (docs/metrics.md there): <namespace>_<object>_<measure>, a _status
// metric per object with a status label that is 1 for the current status
// and 0 for every other (its default, non-sparse form, so a query can sum
// or alert on a status that is absent), _timestamp for a time in Unix
// seconds, snake_case labels named after the matrix's own words
// (distribution, kubernetes, feature, tier). Where OpenMetrics reserves a
// suffix (_count, _total belong to counters and histograms), the name
// avoids it: _runs, not _run_count, since a bounded history's run count
// goes down as well as up and is a gauge. Every family has HELP and TYPE,
// and the text ends with # EOF.
func OpenMetrics(r *report.Report) []byte {
	var w metricsWriter
	w.family("level_status", "gauge", "Support level of a distribution x Kubernetes minor: 1 for the level it has (label status), 0 for the others.")
	for _, d := range r.Distributions {
		for _, v := range d.Versions {
			for _, l := range report.Levels {
				w.sample("level_status", one(v.Level == l), "distribution", d.ID, "kubernetes", v.Kubernetes.String(), "tier", string(d.Tier), "status", string(l))
			}
		}
	}
	w.family("level_green_runs", "gauge", "Consecutive green counting runs of a distribution x Kubernetes minor, counted up to the policy's green_runs.")
	for _, d := range r.Distributions {
		for _, v := range offered(d) {
			w.sample("level_green_runs", float64(v.GreenRuns), "distribution", d.ID, "kubernetes", v.Kubernetes.String())
		}
	}
	w.family("level_timestamp", "gauge", "Finish time (Unix seconds) of the run that decided the level of a distribution x Kubernetes minor.")
	for _, d := range r.Distributions {
		for _, v := range d.Versions {
			if v.DecidedBy != nil {
				w.sample("level_timestamp", unix(v.DecidedBy), "distribution", d.ID, "kubernetes", v.Kubernetes.String())
			}
		}
	}
	cells := func(each func(d *report.Distribution, v *report.Version, c *report.Cell)) {
		for _, d := range r.Distributions {
			for _, v := range offered(d) {
				for _, c := range v.Cells {
					each(d, v, c)
				}
			}
		}
	}
	labels := func(d *report.Distribution, v *report.Version, c *report.Cell) []string {
		return []string{"distribution", d.ID, "kubernetes", v.Kubernetes.String(), "feature", c.Feature.ID}
	}
	w.family("cell_status", "gauge", "Status of a feature cell (distribution x Kubernetes minor x feature): 1 for the status it has (label status), 0 for the others.")
	cells(func(d *report.Distribution, v *report.Version, c *report.Cell) {
		for _, s := range results.Statuses {
			w.sample("cell_status", one(c.Status == s), append(labels(d, v, c), "status", string(s))...)
		}
	})
	w.family("cell_flake_ratio", "gauge", "Flake rate of a feature cell: the share of its counting runs in the history that passed only after a retry or were a one-run excursion between pass and fail.")
	w.unit("cell_flake_ratio", "ratio")
	cells(func(d *report.Distribution, v *report.Version, c *report.Cell) {
		if c.Flake.Runs > 0 {
			w.sample("cell_flake_ratio", c.Flake.Rate, labels(d, v, c)...)
		}
	})
	w.family("cell_flaky", "gauge", "1 when a feature cell's flake rate is above its policy's flaky_above, else 0.")
	cells(func(d *report.Distribution, v *report.Version, c *report.Cell) {
		if c.Flake.Runs > 0 {
			w.sample("cell_flaky", one(c.Flake.Above), labels(d, v, c)...)
		}
	})
	w.family("cell_runs", "gauge", "Counting runs in the history in which a feature cell passed or failed: the flake rate's denominator.")
	cells(func(d *report.Distribution, v *report.Version, c *report.Cell) {
		if c.Status != results.Excluded {
			w.sample("cell_runs", float64(c.Flake.Runs), labels(d, v, c)...)
		}
	})
	w.family("cell_timestamp", "gauge", "Finish time (Unix seconds) of the newest counting run that recorded a feature cell.")
	cells(func(d *report.Distribution, v *report.Version, c *report.Cell) {
		if c.Run != nil {
			w.sample("cell_timestamp", unix(c.Run), labels(d, v, c)...)
		}
	})
	w.family("last_run_timestamp", "gauge", "Finish time (Unix seconds) of the newest counting run in the history.")
	if r.LastRun != nil {
		w.sample("last_run_timestamp", unix(r.LastRun))
	}
	w.family("judged_timestamp", "gauge", "Time (Unix seconds) the levels were judged at (render --now, else the newest result's finish time).")
	if !r.Now.IsZero() {
		w.sample("judged_timestamp", float64(r.Now.Unix()))
	}
	w.b.WriteString("# EOF\n")
	return w.b.Bytes()
}

// metricsWriter writes OpenMetrics text: families in order, each one's
// samples right after its metadata, as the format requires.
type metricsWriter struct{ b bytes.Buffer }

func (w *metricsWriter) family(name, typ, help string) {
	w.b.WriteString("# TYPE " + MetricsPrefix + name + " " + typ + "\n")
	w.b.WriteString("# HELP " + MetricsPrefix + name + " " + escapeHelp(help) + "\n")
}

// unit declares a family's unit; OpenMetrics requires the name to end
// with it.
func (w *metricsWriter) unit(name, unit string) {
	w.b.WriteString("# UNIT " + MetricsPrefix + name + " " + unit + "\n")
}

// sample writes one sample; labels are name, value pairs.
func (w *metricsWriter) sample(name string, value float64, labels ...string) {
	w.b.WriteString(MetricsPrefix + name)
	if len(labels) > 0 {
		w.b.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				w.b.WriteByte(',')
			}
			w.b.WriteString(labels[i] + `="` + escapeLabel(labels[i+1]) + `"`)
		}
		w.b.WriteByte('}')
	}
	w.b.WriteString(" " + number(value) + "\n")
}

// escapeLabel escapes a label value as OpenMetrics (and the Prometheus
// text format) require: backslash, double quote and line feed.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// escapeHelp escapes HELP text for both formats: backslash and line feed
// (the Prometheus text format refuses an escaped double quote in HELP, and
// OpenMetrics accepts a plain one).
func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

// number writes a value: whole numbers (levels, counts, Unix times) as
// integers, others in the shortest form that reads back the same.
func number(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func one(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unix(r *report.RunRef) float64 { return float64(r.FinishedAt.Unix()) }
