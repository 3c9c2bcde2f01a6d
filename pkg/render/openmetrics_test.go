package render

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
)

func TestOpenMetricsGolden(t *testing.T) {
	t.Parallel()
	r, _, _ := digestFixture(t)
	golden.Assert(t, "metrics.golden", OpenMetrics(r))
	golden.Assert(t, "support.metrics.golden", OpenMetrics(fixture(t)))
}

// TestOpenMetricsParses reads the output back with the Prometheus text
// parser (github.com/prometheus/common/expfmt, what node_exporter's textfile
// collector uses) and checks the numbers against the report.
func TestOpenMetricsParses(t *testing.T) {
	t.Parallel()
	r, _, _ := digestFixture(t)
	out := OpenMetrics(r)
	p := expfmt.NewTextParser(model.LegacyValidation)
	families, err := p.TextToMetricFamilies(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("the Prometheus text parser refuses the output: %v", err)
	}
	for _, name := range []string{"level_status", "level_green_runs", "level_timestamp", "cell_status", "cell_flake_ratio", "cell_flaky", "cell_runs", "cell_timestamp", "last_run_timestamp", "judged_timestamp"} {
		mf := families[MetricsPrefix+name]
		if mf == nil {
			t.Errorf("no family %s", MetricsPrefix+name)
			continue
		}
		if mf.GetType().String() != "GAUGE" || mf.GetHelp() == "" || len(mf.GetMetric()) == 0 {
			t.Errorf("%s: type %s, help %q, %d samples", name, mf.GetType(), mf.GetHelp(), len(mf.GetMetric()))
		}
	}
	value := func(family string, labels map[string]string) (float64, int) {
		n, v := 0, 0.0
		for _, m := range families[MetricsPrefix+family].GetMetric() {
			match := true
			for _, lp := range m.GetLabel() {
				if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
					match = false
				}
			}
			if match {
				n++
				v += m.GetGauge().GetValue()
			}
		}
		return v, n
	}
	// Exactly one level per distribution x minor is 1.
	for _, d := range r.Distributions {
		for _, ver := range d.Versions {
			sum, n := value("level_status", map[string]string{"distribution": d.ID, "kubernetes": ver.Kubernetes.String()})
			if sum != 1 || n != len(report.Levels) {
				t.Errorf("%s/%s: level_status sums to %v over %d samples, want 1 over %d", d.ID, ver.Kubernetes, sum, n, len(report.Levels))
			}
			if on, _ := value("level_status", map[string]string{"distribution": d.ID, "kubernetes": ver.Kubernetes.String(), "status": string(ver.Level)}); on != 1 {
				t.Errorf("%s/%s: level %s is not the one set", d.ID, ver.Kubernetes, ver.Level)
			}
		}
	}
	runner := map[string]string{"distribution": "eks", "kubernetes": "1.35", "feature": "runner"}
	if v, n := value("cell_flake_ratio", runner); n != 1 || v != 2.0/14 {
		t.Errorf("eks/1.35/runner flake ratio %v (%d samples), want 2/14", v, n)
	}
	if v, _ := value("cell_flaky", runner); v != 1 {
		t.Errorf("eks/1.35/runner flaky = %v, want 1 (above flaky_above)", v)
	}
	if v, _ := value("cell_runs", runner); v != 14 {
		t.Errorf("eks/1.35/runner runs = %v, want 14", v)
	}
	if v, _ := value("cell_status", map[string]string{"distribution": "eks", "kubernetes": "1.36", "feature": "deploy", "status": "failed"}); v != 1 {
		t.Errorf("eks/1.36/deploy is not failed in cell_status")
	}
	if v, _ := value("last_run_timestamp", nil); int64(v) != r.LastRun.FinishedAt.Unix() {
		t.Errorf("last_run_timestamp %v, want %d", v, r.LastRun.FinishedAt.Unix())
	}
}

// TestOpenMetricsStrict checks what the Prometheus text parser lets pass
// but OpenMetrics requires: one # EOF, last; every family's metadata (TYPE
// and HELP, UNIT matching the name's suffix) before its samples; a family's
// samples together; sample names exactly the family's (a gauge has no
// suffix); valid names; no label set twice in a family.
func TestOpenMetricsStrict(t *testing.T) {
	t.Parallel()
	r, _, _ := digestFixture(t)
	m, err := matrix.Load("testdata/digest/matrix.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string][]byte{"digest fixture": OpenMetrics(r), "table fixture": OpenMetrics(fixture(t)), "empty history": OpenMetrics(report.Build(m, nil, report.Options{}))} {
		if err := lintOpenMetrics(out); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, bad := range []string{
		"# TYPE a gauge\n# HELP a x\na 1\n",          // no EOF
		"# TYPE a gauge\n# HELP a x\na 1\n# EOF\n\n", // after EOF
		"a 1\n# EOF\n", // no metadata
		"# TYPE a gauge\n# HELP a x\na_total 1\n# EOF\n",                                 // suffix on a gauge
		"# TYPE a gauge\n# HELP a x\na{x=\"1\"} 1\na{x=\"1\"} 2\n# EOF\n",                // a label set twice
		"# TYPE a gauge\n# HELP a x\n# UNIT a seconds\na 1\n# EOF\n",                     // unit not in the name
		"# TYPE a gauge\n# HELP a x\na 1\n# TYPE b gauge\n# HELP b x\nb 1\na 2\n# EOF\n", // interleaved
		"# TYPE a gauge\n# HELP a x\na{x=\"a\nb\"} 1\n# EOF\n",                           // raw line feed in a value
	} {
		if lintOpenMetrics([]byte(bad)) == nil {
			t.Errorf("the lint accepts %q", bad)
		}
	}
}

var (
	omName   = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	omSample = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? (-?[0-9][0-9.e+-]*|NaN|[+-]Inf)$`)
)

func lintOpenMetrics(data []byte) error {
	if !bytes.HasSuffix(data, []byte("\n# EOF\n")) || bytes.Count(data, []byte("# EOF")) != 1 {
		return fmt.Errorf("the text must end with one \"# EOF\" line")
	}
	type family struct {
		typ, help, unit string
		samples         bool
		sets            map[string]bool
	}
	families := map[string]*family{}
	var current string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "# EOF" {
			break
		}
		if rest, ok := strings.CutPrefix(line, "# "); ok {
			kind, rest, _ := strings.Cut(rest, " ")
			name, text, _ := strings.Cut(rest, " ")
			if !omName.MatchString(name) || text == "" {
				return fmt.Errorf("line %d: bad metadata %q", n, line)
			}
			f := families[name]
			if f == nil {
				if families[current] != nil && current != name {
					families[current].samples = true // closed
				}
				f = &family{sets: map[string]bool{}}
				families[name] = f
				current = name
			} else if current != name || f.samples {
				return fmt.Errorf("line %d: metadata of %s after its samples or apart from it", n, name)
			}
			switch kind {
			case "TYPE":
				f.typ = text
			case "HELP":
				f.help = text
			case "UNIT":
				if !strings.HasSuffix(name, "_"+text) {
					return fmt.Errorf("line %d: unit %s is not the suffix of %s", n, text, name)
				}
				f.unit = text
			default:
				return fmt.Errorf("line %d: unknown metadata %q", n, kind)
			}
			continue
		}
		m := omSample.FindStringSubmatch(line)
		if m == nil {
			return fmt.Errorf("line %d: not a sample: %q", n, line)
		}
		f := families[m[1]]
		if f == nil || f.typ == "" || f.help == "" {
			return fmt.Errorf("line %d: sample of %s without its TYPE and HELP (a gauge's samples carry the family's name, no suffix)", n, m[1])
		}
		if current != m[1] {
			return fmt.Errorf("line %d: %s's samples are not together", n, m[1])
		}
		if f.sets[m[3]] {
			return fmt.Errorf("line %d: label set %s twice in %s", n, m[3], m[1])
		}
		f.sets[m[3]] = true
	}
	return sc.Err()
}

// TestOpenMetricsEscaping: a label value with a backslash, a double quote
// and a line feed reads back as written.
func TestOpenMetricsEscaping(t *testing.T) {
	t.Parallel()
	hostile := "a\\b\"c\nd"
	var w metricsWriter
	w.family("x", "gauge", "Help with a \\ backslash\nand a line feed.")
	w.sample("x", 0.25, "v", hostile)
	w.b.WriteString("# EOF\n")
	if err := lintOpenMetrics(w.b.Bytes()); err != nil {
		t.Fatalf("%v\n%s", err, w.b.Bytes())
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(w.b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	mf := fams[MetricsPrefix+"x"]
	if got := mf.GetMetric()[0].GetLabel()[0].GetValue(); got != hostile {
		t.Errorf("label value read back as %q, want %q", got, hostile)
	}
	if mf.GetHelp() != "Help with a \\ backslash\nand a line feed." || mf.GetMetric()[0].GetGauge().GetValue() != 0.25 {
		t.Errorf("help %q, value %v", mf.GetHelp(), mf.GetMetric()[0].GetGauge().GetValue())
	}
}
