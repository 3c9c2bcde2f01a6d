package render

import (
	"gitlab.com/supportmatrix/supportmatrix/pkg/kube"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
)

// vendorShort says a vendor window in a few words for a table cell, beside
// the level: "std 2026-12-02 · ext 2027-12-02", "ext until 2027-07-29",
// "dropped 2026-10-27", "from 2027-02-03"; "" without a vendor window.
func vendorShort(w *report.VendorWindow) string {
	if w == nil {
		return ""
	}
	switch kube.Phase(w.Phase) {
	case kube.PhaseStandard:
		if w.ExtendedEnd.IsZero() {
			return "until " + kube.FormatDate(w.StandardEnd)
		}
		return "std " + kube.FormatDate(w.StandardEnd) + " · ext " + kube.FormatDate(w.ExtendedEnd)
	case kube.PhaseExtended:
		return "ext until " + kube.FormatDate(w.ExtendedEnd)
	case kube.PhaseEnded:
		end := w.ExtendedEnd
		if end.IsZero() {
			end = w.StandardEnd
		}
		return "dropped " + kube.FormatDate(end)
	case kube.PhaseUpcoming:
		return "from " + kube.FormatDate(w.Available)
	}
	return ""
}

// vendorRow is one row of vendor dates in a distribution's table.
type vendorRow struct {
	Label string
	Cells []string
}

// vendorRows returns the rows of vendor dates for a distribution's offered
// minors: the end of standard support and, where the vendor has one, of
// extended support, each labelled with the vendor's own words.
func vendorRows(vs []*report.Version) []vendorRow {
	var first *report.VendorWindow
	ext := false
	for _, v := range vs {
		if v.Vendor != nil {
			if first == nil {
				first = v.Vendor
			}
			ext = ext || !v.Vendor.ExtendedEnd.IsZero()
		}
	}
	if first == nil {
		return nil
	}
	std := vendorRow{Label: first.Product + " " + first.StandardLabel + " until"}
	extRow := vendorRow{Label: first.Product + " " + first.ExtendedLabel + " until"}
	for _, v := range vs {
		s, e := "-", "-"
		if w := v.Vendor; w != nil {
			s, e = kube.FormatDate(w.StandardEnd), kube.FormatDate(w.ExtendedEnd)
			if kube.Phase(w.Phase) == kube.PhaseUnknown {
				s, e = "not listed", "not listed"
			}
		}
		std.Cells = append(std.Cells, s)
		extRow.Cells = append(extRow.Cells, e)
	}
	if !ext {
		return []vendorRow{std}
	}
	return []vendorRow{std, extRow}
}
