package kube

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func minor(t *testing.T, s string) matrix.Minor {
	t.Helper()
	m, err := ParseMinor(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The embedded file must be in the canonical form Encode writes, so that a
// refresh rewrites only what changed upstream.
func TestEmbeddedCatalogIsCanonical(t *testing.T) {
	data, err := os.ReadFile("catalog.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCatalog(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Encode(); !bytes.Equal(got, data) {
		t.Errorf("catalog.json is not in canonical form; Encode gives:\n%s", got)
	}
	if first := c.Releases[0].Minor; !first.Equal(Oldest) {
		t.Errorf("oldest minor = %s, want %s", first, Oldest)
	}
}

// The calendar the issue is judged against (FACTS.md).
func TestEmbeddedCatalogDates(t *testing.T) {
	c := Default()
	for _, tc := range []struct{ minor, released, eol string }{
		{"1.27", "2023-04-11", "2024-06-28"},
		{"1.32", "2024-12-11", "2026-02-28"},
		{"1.33", "2025-04-23", "2026-06-28"},
		{"1.34", "2025-08-27", "2026-10-27"},
		{"1.35", "2025-12-17", "2027-02-28"},
		{"1.36", "2026-04-22", "2027-06-28"},
		{"1.37", "2026-08-26", "2027-10-28"},
	} {
		r, ok := c.Lookup(minor(t, tc.minor))
		if !ok {
			t.Errorf("%s: not in the catalog", tc.minor)
			continue
		}
		if got := FormatDate(r.Released); got != tc.released {
			t.Errorf("%s released %s, want %s", tc.minor, got, tc.released)
		}
		if got := FormatDate(r.EOL); got != tc.eol {
			t.Errorf("%s end of life %s, want %s", tc.minor, got, tc.eol)
		}
	}
	if _, ok := c.Lookup(minor(t, "1.26")); ok {
		t.Error("1.26 is older than the catalog keeps")
	}
}

func TestSupportedAndStatus(t *testing.T) {
	c := Default()
	for _, tc := range []struct {
		date string
		want string
	}{
		{"2026-11-22", "1.35 1.36 1.37"},
		{"2026-10-26", "1.34 1.35 1.36 1.37"}, // last day of 1.34
		{"2026-10-27", "1.35 1.36 1.37"},      // 1.34's end-of-life day
		{"2026-08-25", "1.34 1.35 1.36"},      // the day before 1.37
		{"2026-08-26", "1.34 1.35 1.36 1.37"},
	} {
		var got []string
		for _, r := range c.Supported(mustDate(t, tc.date)) {
			got = append(got, r.Minor.String())
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("Supported(%s) = %s, want %s", tc.date, g, tc.want)
		}
	}
	r, _ := c.Lookup(minor(t, "1.37"))
	// A time late in the day still counts as that calendar day.
	late := time.Date(2026, 8, 25, 23, 59, 0, 0, time.UTC)
	if st := r.Status(late); st != StatusUpcoming {
		t.Errorf("1.37 on 2026-08-25 23:59 = %s, want %s", st, StatusUpcoming)
	}
}

func TestParseCatalogErrors(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"unknown field", `{"source":"x","minors":[],"extra":1}`, "unknown field"},
		{"bad minor", `{"minors":[{"minor":"1","released":"2024-01-01"}]}`, `minor "1"`},
		{"bad date", `{"minors":[{"minor":"1.30","released":"2024-13-01"}]}`, "1.30: released"},
		{"eol before release", `{"minors":[{"minor":"1.30","released":"2024-04-17","eol":"2024-01-01"}]}`, "not after the release"},
		{"duplicate", `{"minors":[{"minor":"1.30","released":"2024-04-17"},{"minor":"1.30","released":"2024-04-17"}]}`, "listed twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCatalog([]byte(tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestParseMinor(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"1.35", "1.35", true},
		{"v1.9", "1.9", true},
		{"1.30", "1.30", true},
		{"1", "", false},
		{"1.x", "", false},
		{"-1.2", "", false},
	} {
		m, err := ParseMinor(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseMinor(%q) err = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && m.String() != tc.want {
			t.Errorf("ParseMinor(%q) = %s, want %s", tc.in, m, tc.want)
		}
	}
}
