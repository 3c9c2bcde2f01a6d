package kube

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
)

// Sync on the fixtures: the golden files show that only list items change.
func TestSyncGolden(t *testing.T) {
	for _, tc := range []struct {
		fixture, date string
		changes       []string
	}{
		{"matrix-1.33-1.37.yaml", "2026-11-22", []string{
			"drop Kubernetes 1.33: end of life on 2026-06-28, and no named lifecycle supports it",
			"drop Kubernetes 1.34: end of life on 2026-10-27, and no named lifecycle supports it",
		}},
		// 1.34 ended upstream but stays: 1.33 is kept, and upgrades never
		// skip a minor.
		{"block-1.33-1.36.yaml", "2026-11-22", []string{
			"add Kubernetes 1.37: released 2026-08-26, supported until 2027-10-28",
		}},
		// A new minor is proposed on release, before the grace period ends.
		{"matrix-1.34-1.36.yaml", "2026-09-01", []string{
			"add Kubernetes 1.37: released 2026-08-26, supported until 2027-10-28",
		}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			m, data := load(t, tc.fixture)
			today := mustDate(t, tc.date)
			out, changes, err := Sync(m.File, data, m, today)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Join(changes, "\n"), strings.Join(tc.changes, "\n"); got != want {
				t.Errorf("changes:\n%s\nwant:\n%s", got, want)
			}
			golden.Assert(t, "sync-"+strings.TrimSuffix(tc.fixture, ".yaml")+".golden.yaml", out)

			// The synced matrix passes the check and a second sync is a no-op.
			m2, err := matrix.Parse(m.File, out)
			if err != nil {
				t.Fatalf("synced matrix does not load: %v", err)
			}
			for _, p := range Check(m2, today) {
				if Failing(p) {
					t.Errorf("synced matrix still fails: %s", p)
				}
			}
			again, changes, err := Sync(m.File, out, m2, today)
			if err != nil || len(changes) != 0 || !bytes.Equal(again, out) {
				t.Errorf("second sync changed %v (err %v)", changes, err)
			}
		})
	}
}

func TestSyncStyles(t *testing.T) {
	for _, tc := range []struct {
		name     string
		versions string // the kubernetes section as written
		date     string
		want     string // the section after sync
	}{
		{"nothing to do", `  versions: ["1.35", "1.36", "1.37"]  # current
`, "2026-11-22", `  versions: ["1.35", "1.36", "1.37"]  # current
`},
		{"flow, plain items, tight separators", `  versions: [1.33,1.34,1.35]
`, "2026-11-22", `  versions: [1.35,1.36,1.37]
`},
		{"flow, single quotes, inner spaces", `  versions: [ '1.33', '1.35' ]   # ascending
`, "2026-11-22", `  versions: [ '1.35', '1.36', '1.37' ]   # ascending
`},
		{"flow, every minor ended", `  versions: ["1.26"]
`, "2026-11-22", `  versions: ["1.35", "1.36", "1.37"]
`},
		{"block, new minors before the first", `  versions:
  - "1.37"   # newest
  extended: {}
`, "2026-11-22", `  versions:
  - "1.35"
  - "1.36"
  - "1.37"   # newest
  extended: {}
`},
		{"block, comment lines stay", `  versions:
    # upstream ended these:
    - "1.33"
    - "1.34"
    # supported:
    - "1.35"
    - "1.36"
    # footer
`, "2026-11-22", `  versions:
    # upstream ended these:
    # supported:
    - "1.35"
    - "1.36"
    - "1.37"
    # footer
`},
		{"block, CRLF line ends", "  versions:\r\n    - \"1.35\"\r\n    - \"1.36\"\r\n", "2026-11-22",
			"  versions:\r\n    - \"1.35\"\r\n    - \"1.36\"\r\n    - \"1.37\"\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(inline(tc.versions))
			m, err := matrix.Parse("inline.yaml", data)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			out, _, err := Sync("inline.yaml", data, m, mustDate(t, tc.date))
			if err != nil {
				t.Fatal(err)
			}
			if want := inline(tc.want); string(out) != want {
				t.Errorf("got:\n%s\nwant:\n%s", out, want)
			}
		})
	}
}

// Sync refuses what it cannot edit faithfully or what would leave an
// invalid matrix, and says where.
func TestSyncErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file, want string
	}{
		{"flow list over several lines", inline("  versions: [\"1.33\",\n    \"1.35\"]\n"), "spans several lines"},
		{"versions from an alias", "x: &v [\"1.33\"]\n" + inline("  versions: *v\n"), "anchor or alias"},
		{"a distribution would offer nothing", strings.Replace(inline("  versions: [\"1.33\", \"1.34\", \"1.35\"]\n"),
			"    tier: community\n", "    tier: community\n    kubernetes: \"< 1.35\"\n", 1), "would not be a valid matrix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.file)
			m, _ := matrix.ParseWithWarnings("inline.yaml", data)
			if m == nil {
				m = &matrix.Matrix{File: "inline.yaml"}
			}
			out, _, err := Sync("inline.yaml", data, m, mustDate(t, "2026-11-22"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
			if out != nil {
				t.Error("a failed sync returned content")
			}
		})
	}
}

// FuzzSync feeds Sync arbitrary kubernetes sections. Whatever it accepts it
// must have verified: the result loads, holds only catalog-current minors
// and is stable under a second sync.
func FuzzSync(f *testing.F) {
	for _, s := range []string{
		"  versions: [\"1.33\", \"1.34\", \"1.35\"]\n",
		"  versions: [1.30,1.37]  # c\n",
		"  versions:\n  - '1.26'\n  - '1.36' # x\n",
		"  versions:\n    # head\n    - \"1.33\"\n    - \"1.35\"\n  extended: {\"1.33\": kept}\n",
		"  versions: [ \"1.38\" ]\n",
		"  versions: [\"1.33\",\n    \"1.35\"]\n",
	} {
		f.Add(s)
	}
	today := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, section string) {
		data := []byte(inline(section))
		m, err := matrix.Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		out, changes, err := Sync("fuzz.yaml", data, m, today)
		if err != nil {
			return
		}
		if len(changes) == 0 {
			if !bytes.Equal(out, data) {
				t.Fatal("no changes reported but the bytes differ")
			}
			return
		}
		m2, err := matrix.Parse("fuzz.yaml", out)
		if err != nil {
			t.Fatalf("accepted an invalid result: %v\n%s", err, out)
		}
		for _, p := range Check(m2, today) {
			if Failing(p) {
				t.Fatalf("synced matrix still fails: %s\n%s", p, out)
			}
		}
		if _, again, err := Sync("fuzz.yaml", out, m2, today); err != nil || len(again) != 0 {
			t.Fatalf("second sync: %v %v\n%s", again, err, out)
		}
	})
}

func BenchmarkSync(b *testing.B) {
	data, err := os.ReadFile("testdata/block-1.33-1.36.yaml")
	if err != nil {
		b.Fatal(err)
	}
	m, err := matrix.Parse("block.yaml", data)
	if err != nil {
		b.Fatal(err)
	}
	today := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		if _, _, err := Sync("block.yaml", data, m, today); err != nil {
			b.Fatal(err)
		}
	}
}

// SyncFile on the lifecycle fixtures: the golden files show that only the
// minors, ranges and release names change, comments kept. The synced file
// passes the check and a second sync changes nothing.
func TestSyncLifecycles(t *testing.T) {
	for _, tc := range []struct {
		fixture, date string
		changes       []string
	}{
		// The project's distributions on 2026-11-30: kind follows upstream,
		// which ended 1.33 and 1.34; OpenShift 4.23 (1.36) is out.
		{"lifecycles-2026-11-30.yaml", "2026-11-30", []string{
			`distributions.openshift.kubernetes: ">= 1.33, < 1.37" (was ">= 1.33, < 1.36"): Red Hat OpenShift, adds 1.36 (Red Hat OpenShift 4.23 since 2026-10-03)`,
			`distributions.openshift.release_names: add 1.36: Red Hat OpenShift 4.23`,
			`distributions.kind.kubernetes: ">= 1.35" (was every minor): kind, drops 1.33 (upstream support ended 2026-06-28), 1.34 (upstream support ended 2026-10-27)`,
		}},
		// The file does not even load (an upgrade would skip 1.35): sync
		// fills the gap, adds 1.37 and narrows K3s to what upstream ships.
		{"gap-1.33-1.36.yaml", "2026-11-30", []string{
			"add Kubernetes 1.35: released 2025-12-17, supported until 2027-02-28",
			"add Kubernetes 1.37: released 2026-08-26, supported until 2027-10-28",
			`distributions.k3s.kubernetes: ">= 1.35" (was ">= 1.34"): K3s, drops 1.34 (upstream support ended 2026-10-27)`,
		}},
		// An extended reason that ran out goes, and so does its minor.
		{"extended-expired.yaml", "2026-12-03", []string{
			"remove kubernetes.extended.1.34: its reason ran out on 2026-12-02",
			"drop Kubernetes 1.34: end of life on 2026-10-27, and no named lifecycle supports it",
		}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.fixture))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "matrix.yaml")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			today := mustDate(t, tc.date)
			m, changes, err := SyncFile(path, Default(), today)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Join(changes, "\n"), strings.Join(tc.changes, "\n"); got != want {
				t.Errorf("changes:\n%s\nwant:\n%s", got, want)
			}
			out, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, "sync-"+strings.TrimSuffix(tc.fixture, ".yaml")+".golden.yaml", out)
			for _, p := range Check(m, today) {
				if Failing(p) {
					t.Errorf("synced matrix still fails: %s", p)
				}
			}
			if _, again, err := SyncFile(path, Default(), today); err != nil || len(again) != 0 {
				t.Errorf("second sync changed %v (err %v)", again, err)
			}
		})
	}
}
