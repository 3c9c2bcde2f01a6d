package kube

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// ReportSchema names the JSON shape of `versions --format json`.
const ReportSchema = "supportmatrix/versions/v1"

// Report is the catalog held against a matrix on one day: what
// `supportmatrix versions` prints.
type Report struct {
	Date time.Time
	File string // the matrix file
	// Rows holds every catalog minor and every matrix minor the catalog
	// does not know, ascending.
	Rows []Row
	// Vendors holds, for each distribution naming a lifecycle, each minor
	// of kubernetes.versions as its vendor offers it, in file order.
	Vendors []VendorRow
	// Findings are Check's findings, in file order.
	Findings []matrix.Problem
	// Changes are the edits Sync made, when the report follows a sync.
	Changes []string
}

// Row is one minor of a Report.
type Row struct {
	Minor    matrix.Minor
	Released time.Time // zero when the catalog does not know the minor
	EOL      time.Time // zero when unknown or not announced
	// Status is the upstream status; "" when the catalog does not know the minor.
	Status Status
	// Extended is kubernetes.extended's reason for the minor, or "".
	Extended string
	InMatrix bool
}

// VendorRow is one distribution × minor against the distribution's vendor.
type VendorRow struct {
	Distribution string
	Lifecycle    string
	Minor        matrix.Minor
	InRange      bool // the distribution's range offers the minor
	Window       Window
}

// Report holds the catalog against the matrix on day today.
func (c *Catalog) Report(m *matrix.Matrix, today time.Time) *Report {
	today = day(today)
	r := &Report{Date: today, File: m.File, Findings: c.Check(m, today)}
	for _, rel := range c.Releases {
		r.Rows = append(r.Rows, Row{
			Minor: rel.Minor, Released: rel.Released, EOL: rel.EOL, Status: rel.Status(today),
			Extended: c.ExtendedReason(m, rel.Minor, today), InMatrix: tests(m, rel.Minor),
		})
	}
	for _, v := range m.Kubernetes.Versions {
		if _, ok := c.Lookup(v); ok {
			continue
		}
		st, _, _ := c.status(v, today)
		r.Rows = append(r.Rows, Row{Minor: v, Status: st, Extended: c.ExtendedReason(m, v, today), InMatrix: true})
	}
	sort.SliceStable(r.Rows, func(i, j int) bool { return r.Rows[i].Minor.Less(r.Rows[j].Minor) })
	for _, d := range m.Distributions {
		for _, v := range m.Kubernetes.Versions {
			if w, ok := c.Window(d, v, today); ok {
				r.Vendors = append(r.Vendors, VendorRow{Distribution: d.ID, Lifecycle: d.Lifecycle, Minor: v, InRange: d.Offers(v), Window: w})
			}
		}
	}
	return r
}

// Failing returns the findings that make `versions --check` fail.
func (r *Report) Failing() []matrix.Problem {
	var out []matrix.Problem
	for _, p := range r.Findings {
		if Failing(p) {
			out = append(out, p)
		}
	}
	return out
}

// statusText is the status column: the upstream status, with the extended
// reason when the matrix keeps an ended minor.
func (row Row) statusText() string {
	switch {
	case row.Status == "":
		return "unknown to the catalog"
	case row.Status == StatusEOL && row.Extended != "" && row.InMatrix:
		return "extended: " + oneLine(row.Extended)
	default:
		return string(row.Status)
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// WriteText writes the report as an aligned table followed by the
// findings, one a line as file:line:col: message.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, c := range r.Changes {
		fmt.Fprintf(&b, "%s: %s\n", r.File, c)
	}
	if len(r.Changes) > 0 {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Kubernetes minors on %s against %s\n\n", FormatDate(r.Date), r.File)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MINOR\tRELEASED\tEND OF LIFE\tIN MATRIX\tSTATUS")
	for _, row := range r.Rows {
		in := "no"
		if row.InMatrix {
			in = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", row.Minor, FormatDate(row.Released), FormatDate(row.EOL), in, row.statusText())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Vendors) > 0 {
		fmt.Fprintf(&b, "\nDistributions against their vendors' lifecycles on %s\n\n", FormatDate(r.Date))
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "DISTRIBUTION\tLIFECYCLE\tMINOR\tRELEASE\tIN RANGE\tVENDOR WINDOW")
		for _, v := range r.Vendors {
			text := v.Window.Text()
			if v.Window.Known && v.Window.Derived() {
				text += " (derived, not verified)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.Distribution, v.Lifecycle, v.Minor, orDash(v.Window.Release), yesNo(v.InRange), text)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(r.Findings) > 0 {
		b.WriteString("\n")
		for _, p := range r.Findings {
			b.WriteString(p.String())
			b.WriteString("\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type jsonReport struct {
	Schema   string        `json:"schema"`
	Date     string        `json:"date"`
	Matrix   string        `json:"matrix"`
	Minors   []jsonRow     `json:"minors"`
	Vendors  []jsonVendor  `json:"vendors,omitempty"`
	Findings []jsonFinding `json:"findings"`
	Changes  []string      `json:"changes,omitempty"`
}

type jsonRow struct {
	Minor    string `json:"minor"`
	Released string `json:"released,omitempty"`
	EOL      string `json:"eol,omitempty"`
	Status   string `json:"status"`
	Extended string `json:"extended,omitempty"`
	InMatrix bool   `json:"in_matrix"`
}

type jsonVendor struct {
	Distribution  string `json:"distribution"`
	Lifecycle     string `json:"lifecycle"`
	Minor         string `json:"minor"`
	Release       string `json:"release,omitempty"`
	InRange       bool   `json:"in_range"`
	Phase         string `json:"phase"`
	Available     string `json:"available,omitempty"`
	StandardUntil string `json:"standard_support_until,omitempty"`
	ExtendedUntil string `json:"extended_support_until,omitempty"`
	Source        string `json:"source,omitempty"`
}

type jsonFinding struct {
	Position string `json:"position"`
	Path     string `json:"path"`
	Rule     string `json:"rule"`
	Message  string `json:"message"`
	Failing  bool   `json:"failing"`
}

// WriteJSON writes the report in the supportmatrix/versions/v1 shape.
func (r *Report) WriteJSON(w io.Writer) error {
	out := jsonReport{Schema: ReportSchema, Date: FormatDate(r.Date), Matrix: r.File, Minors: []jsonRow{}, Findings: []jsonFinding{}, Changes: r.Changes}
	for _, row := range r.Rows {
		j := jsonRow{Minor: row.Minor.String(), Status: string(row.Status), Extended: oneLine(row.Extended), InMatrix: row.InMatrix}
		if j.Status == "" {
			j.Status = "unknown"
		}
		if !row.Released.IsZero() {
			j.Released = FormatDate(row.Released)
		}
		if !row.EOL.IsZero() {
			j.EOL = FormatDate(row.EOL)
		}
		out.Minors = append(out.Minors, j)
	}
	for _, v := range r.Vendors {
		j := jsonVendor{Distribution: v.Distribution, Lifecycle: v.Lifecycle, Minor: v.Minor.String(), Release: v.Window.Release,
			InRange: v.InRange, Phase: string(v.Window.Phase), Source: v.Window.Source}
		for _, d := range []struct {
			t   time.Time
			dst *string
		}{{v.Window.Available, &j.Available}, {v.Window.Standard, &j.StandardUntil}, {v.Window.Extended, &j.ExtendedUntil}} {
			if !d.t.IsZero() {
				*d.dst = FormatDate(d.t)
			}
		}
		out.Vendors = append(out.Vendors, j)
	}
	for _, p := range r.Findings {
		out.Findings = append(out.Findings, jsonFinding{Position: p.Pos.String(), Path: p.Path, Rule: p.Rule, Message: p.Message, Failing: Failing(p)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
