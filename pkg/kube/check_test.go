package kube

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
)

// load parses a fixture under testdata/ with the real loader.
func load(t *testing.T, name string) (*matrix.Matrix, []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := matrix.Parse(path, data)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return m, data
}

func parseInline(t *testing.T, body string) *matrix.Matrix {
	t.Helper()
	m, err := matrix.Parse("inline.yaml", []byte(body))
	if err != nil {
		t.Fatalf("parse inline matrix: %v", err)
	}
	return m
}

// inline builds a small valid matrix around a kubernetes section.
func inline(kubernetes string) string {
	return "schema: supportmatrix/v1\nkubernetes:\n" + kubernetes + `
distributions:
  kind:
    name: kind
    tier: community
    cluster: {type: ephemeral, provision: kind-provision, teardown: kind-teardown}
features:
  deploy:
    name: Deploy
`
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fixture string // a file under testdata/, or
		body    string // an inline kubernetes section
		date    string
		// want lists each finding as "line:col rule minor", in order.
		want    []string
		failing bool
	}{
		{name: "1.33-1.37 on 2026-11-22 tests two ended minors", fixture: "matrix-1.33-1.37.yaml", date: "2026-11-22",
			want: []string{"6:14 end-of-life 1.33", "6:22 end-of-life 1.34"}, failing: true},
		{name: "1.35-1.37 on 2026-11-22 is current", fixture: "matrix-1.35-1.37.yaml", date: "2026-11-22"},
		{name: "1.33-1.37 with extended support declared", fixture: "extended-1.33-1.37.yaml", date: "2026-11-22"},
		{name: "1.34-1.36 six days after 1.37 is within the grace period", fixture: "matrix-1.34-1.36.yaml", date: "2026-09-01"},
		{name: "1.34-1.36 on 2026-11-24, the last day of the grace period", fixture: "matrix-1.34-1.36.yaml", date: "2026-11-24",
			want: []string{"5:14 end-of-life 1.34"}, failing: true},
		{name: "1.34-1.36 on 2026-12-01 lacks 1.37 and tests an ended 1.34", fixture: "matrix-1.34-1.36.yaml", date: "2026-12-01",
			want: []string{"5:3 missing-minor 1.37", "5:14 end-of-life 1.34"}, failing: true},
		{name: "1.34-1.36 before 1.34 ended, 1.37 past a 30d grace period",
			body: "  versions: [\"1.34\", \"1.35\", \"1.36\"]\n  adopt_within: 30d\n", date: "2026-10-01",
			want: []string{"3:3 missing-minor 1.37"}, failing: true},
		{name: "a supported minor left out in the middle is missing",
			body: "  versions: [\"1.35\", \"1.37\"]\n", date: "2026-11-22",
			want: []string{"3:3 missing-minor 1.36"}, failing: true},
		{name: "a minor newer than the catalog is a note",
			body: "  versions: [\"1.35\", \"1.36\", \"1.37\", \"1.38\"]\n", date: "2026-11-22",
			want: []string{"3:38 unknown-minor 1.38"}},
		{name: "a minor older than the catalog has ended",
			body: "  versions: [\"1.26\", \"1.35\", \"1.36\", \"1.37\"]\n", date: "2026-11-22",
			want: []string{"3:14 end-of-life 1.26"}, failing: true},
		{name: "an extended entry for a supported minor is a note",
			body: "  versions: [\"1.35\", \"1.36\", \"1.37\"]\n  extended: {\"1.35\": GKE Extended channel}\n", date: "2026-11-22",
			want: []string{"4:14 extended-not-eol 1.35"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m *matrix.Matrix
			if tc.fixture != "" {
				m, _ = load(t, tc.fixture)
			} else {
				m = parseInline(t, inline(tc.body))
			}
			ps := Check(m, mustDate(t, tc.date))
			var got []string
			failing := false
			for _, p := range ps {
				if p.Severity != matrix.Warning {
					t.Errorf("%s: severity %s, want warning", p, p.Severity)
				}
				failing = failing || Failing(p)
				v := ""
				if f := strings.Fields(p.Message); len(f) > 1 {
					v = strings.TrimSuffix(f[1], ",")
				}
				got = append(got, strings.Join([]string{
					strings.TrimPrefix(p.Pos.String(), p.Pos.File+":"), p.Rule, v}, " "))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("findings:\n%s\nwant:\n%s\nfull:\n%v", strings.Join(got, "\n"), strings.Join(tc.want, "\n"), ps)
			}
			if failing != tc.failing {
				t.Errorf("failing = %v, want %v", failing, tc.failing)
			}
		})
	}
}

func TestCheckMessages(t *testing.T) {
	m, _ := load(t, "matrix-1.34-1.36.yaml")
	ps := Check(m, mustDate(t, "2026-12-01"))
	var lines []string
	for _, p := range ps {
		lines = append(lines, p.String())
	}
	golden.Assert(t, "check-1.34-1.36-2026-12-01.golden", []byte(strings.Join(lines, "\n")+"\n"))
}
