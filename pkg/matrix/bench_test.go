package matrix

import (
	"os"
	"testing"
)

// BenchmarkLoadExpandLarge loads, validates and expands the large example
// (30 distributions × 10 minors × 20 features). Memory should stay
// proportional to the cells: see the B/op and allocs/op columns.
func BenchmarkLoadExpandLarge(b *testing.B) {
	data, err := os.ReadFile("../../examples/large/matrix.yaml")
	if err != nil {
		b.Skip("examples/large/matrix.yaml:", err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	cells := 0
	for b.Loop() {
		m, err := Parse("large.yaml", data)
		if err != nil {
			b.Fatal(err)
		}
		cells = len(Expand(m).Cells)
	}
	b.ReportMetric(float64(cells), "cells")
}

// BenchmarkExpandLarge measures the expansion alone.
func BenchmarkExpandLarge(b *testing.B) {
	m, err := Load("../../examples/large/matrix.yaml")
	if err != nil {
		b.Skip(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Expand(m)
	}
}
