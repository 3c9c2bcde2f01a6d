// Package kube knows the upstream Kubernetes release calendar and holds a
// support matrix to it.
//
// Upstream ships about three minors a year and supports the newest three for
// about fourteen months each. A support program drifts when nobody notices a
// minor reaching its end of life or a new one arriving. This package embeds a
// catalog of upstream minors (1.27 on) with their release and end-of-life
// dates, refreshable from endoflife.date; Check compares a matrix with the
// catalog on a given day, and Sync rewrites the matrix file's
// kubernetes.versions list in place, keeping every comment and the formatting
// of everything else.
//
// Nothing here reads the clock: every function that needs "today" takes it.
package kube

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// DefaultSource is where the catalog is refreshed from: endoflife.date's
// release-cycle API for Kubernetes.
const DefaultSource = "https://endoflife.date/api/kubernetes.json"

// Oldest is the oldest minor the catalog keeps; older cycles are dropped on refresh.
var Oldest = matrix.Minor{Major: 1, Minor: 27}

// dateLayout is the calendar-date layout of the catalog and of --date.
const dateLayout = "2006-01-02"

//go:embed catalog.json
var embedded []byte

// Release is one upstream Kubernetes minor and its support window.
type Release struct {
	Minor matrix.Minor
	// Released is the day the minor's .0 release shipped.
	Released time.Time
	// EOL is the first day the minor is no longer supported upstream. It is
	// the zero time when the end of life is not announced yet.
	EOL time.Time
	// Latest is the newest patch release known when the catalog was
	// refreshed ("1.35.2"), or "" when unknown.
	Latest string
}

// Catalog is the list of upstream minors, ascending by version.
type Catalog struct {
	// Source is the URL the catalog was refreshed from.
	Source   string
	Releases []Release
	// Lifecycles are the vendors' windows the catalog is held together
	// with; nil means the embedded lifecycles.json.
	Lifecycles *Lifecycles
}

// Status is where a minor stands in its upstream life cycle on a given day.
type Status string

// The statuses of a minor.
const (
	StatusUpcoming  Status = "upcoming"    // not released yet
	StatusSupported Status = "supported"   // released and before its end of life
	StatusEOL       Status = "end of life" // on or after its end-of-life day
)

// Status reports the minor's status on day today.
func (r Release) Status(today time.Time) Status {
	switch {
	case day(today).Before(r.Released):
		return StatusUpcoming
	case !r.EOL.IsZero() && !day(today).Before(r.EOL):
		return StatusEOL
	default:
		return StatusSupported
	}
}

// Default returns the catalog embedded in the binary.
func Default() *Catalog {
	c, err := ParseCatalog(embedded)
	if err != nil {
		// The embedded file is checked by the package tests; a broken
		// one is a build defect, not a runtime condition.
		panic(fmt.Sprintf("kube: embedded catalog.json: %v", err))
	}
	return c
}

// Lookup returns the release of the minor and whether the catalog knows it.
func (c *Catalog) Lookup(m matrix.Minor) (Release, bool) {
	for _, r := range c.Releases {
		if r.Minor.Equal(m) {
			return r, true
		}
	}
	return Release{}, false
}

// Supported returns the minors released and not yet at their end of life on
// day today, ascending.
func (c *Catalog) Supported(today time.Time) []Release {
	var out []Release
	for _, r := range c.Releases {
		if r.Status(today) == StatusSupported {
			out = append(out, r)
		}
	}
	return out
}

// catalogFile is the JSON shape of catalog.json.
type catalogFile struct {
	Source string         `json:"source"`
	Minors []catalogEntry `json:"minors"`
}

type catalogEntry struct {
	Minor    string `json:"minor"`
	Released string `json:"released"`
	EOL      string `json:"eol,omitempty"`
	Latest   string `json:"latest,omitempty"`
}

// ParseCatalog reads a catalog in the catalog.json format: every minor with
// its release day and, when announced, its end-of-life day.
func ParseCatalog(data []byte) (*Catalog, error) {
	var f catalogFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parse catalog: %w", err)
	}
	c := &Catalog{Source: f.Source}
	for i, e := range f.Minors {
		r, err := e.release()
		if err != nil {
			return nil, fmt.Errorf("parse catalog: minors[%d]: %w", i, err)
		}
		c.Releases = append(c.Releases, r)
	}
	if err := c.normalize(); err != nil {
		return nil, fmt.Errorf("parse catalog: %w", err)
	}
	return c, nil
}

func (e catalogEntry) release() (Release, error) {
	m, err := ParseMinor(e.Minor)
	if err != nil {
		return Release{}, err
	}
	r := Release{Minor: m, Latest: e.Latest}
	if r.Released, err = parseDay(e.Released); err != nil {
		return Release{}, fmt.Errorf("%s: released: %w", m, err)
	}
	if e.EOL != "" {
		if r.EOL, err = parseDay(e.EOL); err != nil {
			return Release{}, fmt.Errorf("%s: eol: %w", m, err)
		}
		if !r.EOL.After(r.Released) {
			return Release{}, fmt.Errorf("%s: end of life %s is not after the release %s", m, e.EOL, e.Released)
		}
	}
	return r, nil
}

// normalize sorts the releases by version and rejects duplicates.
func (c *Catalog) normalize() error {
	sort.SliceStable(c.Releases, func(i, j int) bool { return c.Releases[i].Minor.Less(c.Releases[j].Minor) })
	for i := 1; i < len(c.Releases); i++ {
		if c.Releases[i].Minor.Equal(c.Releases[i-1].Minor) {
			return fmt.Errorf("minor %s listed twice", c.Releases[i].Minor)
		}
	}
	return nil
}

// Encode renders the catalog in the catalog.json format, one minor a line,
// ascending. The same catalog always encodes to the same bytes, so a refresh
// that finds nothing new leaves the file unchanged.
func (c *Catalog) Encode() []byte {
	var b bytes.Buffer
	src, _ := json.Marshal(c.Source)
	fmt.Fprintf(&b, "{\n  \"source\": %s,\n  \"minors\": [\n", src)
	for i, r := range c.Releases {
		e := catalogEntry{Minor: r.Minor.String(), Released: r.Released.Format(dateLayout), Latest: r.Latest}
		if !r.EOL.IsZero() {
			e.EOL = r.EOL.Format(dateLayout)
		}
		line, _ := json.Marshal(e)
		b.WriteString("    ")
		b.Write(line)
		if i < len(c.Releases)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("  ]\n}\n")
	return b.Bytes()
}

// ParseMinor reads a minor written "1.35" (a leading "v" is accepted).
func ParseMinor(s string) (matrix.Minor, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	major, minor, ok := strings.Cut(t, ".")
	if !ok {
		return matrix.Minor{}, fmt.Errorf("minor %q: want MAJOR.MINOR such as 1.35", s)
	}
	a, err1 := strconv.Atoi(major)
	b, err2 := strconv.Atoi(minor)
	if err1 != nil || err2 != nil || a < 0 || b < 0 {
		return matrix.Minor{}, fmt.Errorf("minor %q: want MAJOR.MINOR such as 1.35", s)
	}
	return matrix.Minor{Major: a, Minor: b}, nil
}

// ParseDate reads a calendar day written YYYY-MM-DD, as --date takes it,
// at midnight UTC.
func ParseDate(s string) (time.Time, error) { return parseDay(s) }

func parseDay(s string) (time.Time, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return t, nil
}

// day truncates t to its calendar day, in t's own location, as midnight UTC,
// so that comparisons with catalog days ignore the time of day.
func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// FormatDate renders a calendar day as YYYY-MM-DD, or "-" for the zero time.
func FormatDate(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(dateLayout)
}
