package results_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/internal/historytest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// MaxLargeHistory is the size a full history (results.KeepCounting nightly
// runs) of the large example may take on disk: small enough to commit every
// night (issue 14: at most 8 MB; the v1 format took about 100 MB).
const MaxLargeHistory = 8 << 20

var largePlan = sync.OnceValues(func() (*matrix.Plan, error) {
	m, err := matrix.Load("../../examples/large/matrix.yaml")
	if err != nil {
		return nil, err
	}
	return matrix.Expand(m), nil
})

func large(tb testing.TB) *matrix.Plan {
	tb.Helper()
	p, err := largePlan()
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// v1Size is the size the v1 format gave the same history: Marshal's old
// encoding, every field of every cell-run, indented.
func v1Size(tb testing.TB, f *results.File) int {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f); err != nil {
		tb.Fatal(err)
	}
	return buf.Len()
}

// TestLargeHistorySize checks the size of a full history of the large
// example against MaxLargeHistory, and what a nightly publish changes in it:
// the new run's line and the dropped run's line, nothing else.
func TestLargeHistorySize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 30 runs of 6,660 cells")
	}
	plan := large(t)
	f := historytest.History(plan, results.KeepCounting)
	data, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	cells, v1 := len(f.Runs[0].Cells), v1Size(t, f)
	t.Logf("%d runs x %d cells: %d bytes (%.1f per cell-run), v1 %d bytes (%.1fx)",
		len(f.Runs), cells, len(data), float64(len(data))/float64(len(f.Runs)*cells), v1, float64(v1)/float64(len(data)))
	if len(data) > MaxLargeHistory {
		t.Errorf("a full history of the large example is %d bytes, over %d", len(data), MaxLargeHistory)
	}

	// The next night: one run more, the oldest one bounded away.
	next := f
	next.Merge(historytest.Run(plan, results.KeepCounting))
	next.Bound(results.KeepCounting, results.KeepPreviews)
	after, err := next.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	added, removed := lineDiff(string(data), string(after))
	if len(added) != 1 || len(removed) != 1 {
		t.Fatalf("a nightly publish changed %d and removed %d lines, want one run added and one dropped", len(added), len(removed))
	}
	t.Logf("nightly diff: +%d bytes -%d bytes", len(added[0]), len(removed[0]))
	if n := len(added[0]) + len(removed[0]); n > len(data)/10 {
		t.Errorf("a nightly publish changes %d of %d bytes", n, len(data))
	}
}

// lineDiff returns the lines only in b (added) and only in a (removed);
// the runs' lines differ only by their trailing comma at the list's end.
func lineDiff(a, b string) (added, removed []string) {
	norm := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[strings.TrimSuffix(l, ",")] = true
		}
		return m
	}
	la, lb := norm(a), norm(b)
	for l := range lb {
		if !la[l] {
			added = append(added, l)
		}
	}
	for l := range la {
		if !lb[l] {
			removed = append(removed, l)
		}
	}
	return added, removed
}

func benchFile(b *testing.B, runs int) []byte {
	b.Helper()
	data, err := historytest.History(large(b), runs).Marshal()
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkReadLarge1 and BenchmarkReadLarge30 read a history of the large
// example with one run and with a full window: compare their ratio.
func BenchmarkReadLarge1(b *testing.B)  { benchRead(b, 1) }
func BenchmarkReadLarge30(b *testing.B) { benchRead(b, results.KeepCounting) }

func benchRead(b *testing.B, runs int) {
	data := benchFile(b, runs)
	b.ReportMetric(float64(len(data)), "file-bytes")
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := results.Parse("large", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteLarge30 encodes a full history of the large example.
func BenchmarkWriteLarge30(b *testing.B) {
	f := historytest.History(large(b), results.KeepCounting)
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		data, err := f.Marshal()
		if err != nil {
			b.Fatal(err)
		}
		n = len(data)
	}
	b.StopTimer()
	b.ReportMetric(float64(n), "file-bytes")
	b.ReportMetric(float64(v1Size(b, f)), "v1-bytes")
}
