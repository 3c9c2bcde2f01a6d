package render

import (
	"sync"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/internal/benchcpu"
	"gitlab.com/supportmatrix/supportmatrix/internal/historytest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// MaxLargeHTML is the size the HTML page of the large example may take with
// a full history (issue 14: at most 3 MB; it was 12 MB).
const MaxLargeHTML = 3 << 20

var largeMatrix = sync.OnceValues(func() (*matrix.Matrix, error) {
	return matrix.Load("../../examples/large/matrix.yaml")
})

// largeHistory is the large example's matrix and a history of runs nightly
// runs of it, as the results file holds it.
func largeHistory(tb testing.TB, runs int) (*matrix.Matrix, []byte) {
	tb.Helper()
	m, err := largeMatrix()
	if err != nil {
		tb.Fatal(err)
	}
	data, err := historytest.History(matrix.Expand(m), runs).Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return m, data
}

// renderAll is what render does for each format: read the history, build
// the report, write the table.
func renderAll(tb testing.TB, m *matrix.Matrix, data []byte) (md, js, html []byte) {
	f, err := results.Parse("results.json", data)
	if err != nil {
		tb.Fatal(err)
	}
	r := report.Build(m, f, report.Options{})
	return Markdown(r), JSON(r), HTML(r)
}

// TestLargeHTMLSize checks the HTML page of the large example with a full
// history against MaxLargeHTML.
func TestLargeHTMLSize(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("renders 30 runs of 6,660 cells")
	}
	m, data := largeHistory(t, results.KeepCounting)
	md, js, html := renderAll(t, m, data)
	t.Logf("history %d bytes; markdown %d, json %d, html %d bytes", len(data), len(md), len(js), len(html))
	if len(html) > MaxLargeHTML {
		t.Errorf("the HTML page of the large example is %d bytes, over %d", len(html), MaxLargeHTML)
	}
}

// BenchmarkRenderLarge1 and BenchmarkRenderLarge30 read a history of the
// large example (one run, a full window), build the report and render
// Markdown, JSON and HTML: compare their ratio (issue 14: at most 3x).
func BenchmarkRenderLarge1(b *testing.B)  { benchRender(b, 1) }
func BenchmarkRenderLarge30(b *testing.B) { benchRender(b, results.KeepCounting) }

func benchRender(b *testing.B, runs int) {
	m, data := largeHistory(b, runs)
	var html []byte
	b.ResetTimer()
	cpu := benchcpu.Now()
	for i := 0; i < b.N; i++ {
		_, _, html = renderAll(b, m, data)
	}
	b.StopTimer()
	benchcpu.Report(b, cpu)
	b.ReportMetric(float64(len(data)), "history-bytes")
	b.ReportMetric(float64(len(html)), "html-bytes")
}
