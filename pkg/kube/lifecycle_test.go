package kube

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
)

// The embedded catalog parses, is written in its canonical form (so a
// refresh that changes nothing leaves the file alone), and holds what the
// issue asks for: the four vendors with dates, OpenShift's release names,
// k3s/rke2/kind on the upstream calendar, and a source for every date.
func TestEmbeddedLifecycles(t *testing.T) {
	l := DefaultLifecycles()
	if got := l.Encode(); !bytes.Equal(got, embeddedLifecycles) {
		golden.Assert(t, "../lifecycles.json", got)
	}
	for _, id := range []string{"amazon-eks", "google-kubernetes-engine", "azure-kubernetes-service", "red-hat-openshift"} {
		p := l.Product(id)
		if p == nil || len(p.Minors) == 0 || p.EndOfLife != id {
			t.Errorf("%s: missing, without minors or not refreshed from endoflife.date's %s", id, id)
			continue
		}
		for _, m := range p.Minors {
			if !strings.HasPrefix(m.Source, "https://") && !m.Derived() {
				t.Errorf("%s %s: source %q is neither a URL nor derived", id, m.Minor, m.Source)
			}
		}
	}
	for _, id := range []string{"k3s", "rke2", "kind"} {
		if p := l.Product(id); p == nil || p.Follows != FollowsKubernetes {
			t.Errorf("%s: want a product that follows kubernetes", id)
		}
	}
	// OpenShift 4.x minors map one-to-one to Kubernetes minors: 4.N is 1.(N+13).
	for _, m := range l.Product("red-hat-openshift").Minors {
		if want := fmt.Sprintf("4.%d", m.Minor.Minor-13); m.Release != want {
			t.Errorf("OpenShift release of Kubernetes %s = %q, want %q", m.Minor, m.Release, want)
		}
	}
}

// The vendor dates checked against the published pages (the sources in the
// file), so that an edit of the data is an edit of this test too.
func TestLifecycleDates(t *testing.T) {
	l := DefaultLifecycles()
	for _, tc := range []struct {
		product, minor                string
		available, standard, extended string
	}{
		{"amazon-eks", "1.33", "2025-05-28", "2026-07-29", "2027-07-29"},
		{"amazon-eks", "1.34", "2025-10-06", "2026-12-02", "2027-12-02"},
		{"amazon-eks", "1.35", "2026-01-28", "2027-03-27", "2028-03-27"},
		{"google-kubernetes-engine", "1.34", "2025-09-30", "2026-10-01", "2027-09-30"},
		{"google-kubernetes-engine", "1.35", "2026-02-11", "2027-04-11", "2028-02-11"},
		{"red-hat-openshift", "1.33", "2025-10-21", "2027-04-21", "2027-10-21"},
		{"red-hat-openshift", "1.34", "2026-02-03", "2027-08-03", "-"},
	} {
		p := l.Product(tc.product)
		m, ok := p.Lookup(Default(), minor(t, tc.minor))
		if !ok {
			t.Errorf("%s %s: missing", tc.product, tc.minor)
			continue
		}
		got := FormatDate(m.Available) + " " + FormatDate(m.Standard) + " " + FormatDate(m.Extended)
		if want := tc.available + " " + tc.standard + " " + tc.extended; got != want {
			t.Errorf("%s %s: %s, want %s", tc.product, tc.minor, got, want)
		}
	}
}

func TestPhase(t *testing.T) {
	eks, _ := DefaultLifecycles().Product("amazon-eks").Lookup(Default(), minor(t, "1.34"))
	kind, _ := DefaultLifecycles().Product("kind").Lookup(Default(), minor(t, "1.34"))
	for _, tc := range []struct {
		name string
		m    VendorMinor
		date string
		want Phase
	}{
		{"before GA", eks, "2025-10-05", PhaseUpcoming},
		{"GA day", eks, "2025-10-06", PhaseStandard},
		{"last standard day", eks, "2026-12-01", PhaseStandard},
		{"first extended day", eks, "2026-12-02", PhaseExtended},
		{"last extended day", eks, "2027-12-01", PhaseExtended},
		{"ended", eks, "2027-12-02", PhaseEnded},
		{"kind follows upstream", kind, "2026-10-26", PhaseStandard},
		{"kind ends with upstream", kind, "2026-10-27", PhaseEnded},
	} {
		if got := tc.m.Phase(mustDate(t, tc.date)); got != tc.want {
			t.Errorf("%s: phase on %s = %s, want %s", tc.name, tc.date, got, tc.want)
		}
	}
}

func TestParseLifecyclesRefuses(t *testing.T) {
	ok := `{"checked":"2026-11-30","products":[{"id":"x","name":"X","window":"w","sources":[{"url":"https://x","checked":"2026-11-30"}],"minors":[%s]}]}`
	for _, tc := range []struct{ name, body, want string }{
		{"unknown field", `{"checked":"2026-11-30","products":[],"extra":1}`, "unknown field"},
		{"no source for a date", fmt.Sprintf(ok, `{"minor":"1.35","available":"2026-01-01","standard":"2027-01-01","source":""}`), "say where the dates come from"},
		{"standard before availability", fmt.Sprintf(ok, `{"minor":"1.35","available":"2027-01-01","standard":"2026-01-01","source":"derived: x"}`), "not after availability"},
		{"extended before standard", fmt.Sprintf(ok, `{"minor":"1.35","available":"2026-01-01","standard":"2027-01-01","extended":"2026-06-01","source":"derived: x"}`), "not after standard"},
		{"duplicate minor", fmt.Sprintf(ok, `{"minor":"1.35","available":"2026-01-01","standard":"2027-01-01","source":"derived: x"},{"minor":"1.35","available":"2026-01-01","standard":"2027-01-01","source":"derived: x"}`), "listed twice"},
		{"no sources", `{"checked":"2026-11-30","products":[{"id":"x","name":"X","window":"w","sources":[],"follows":"kubernetes"}]}`, "cite at least one source"},
		{"none is not a product", `{"checked":"2026-11-30","products":[{"id":"none","name":"X","window":"w","sources":[{"url":"https://x","checked":"2026-11-30"}],"follows":"kubernetes"}]}`, "want a product id"},
	} {
		_, err := ParseLifecycles([]byte(tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

// Check on the project's distributions, on the real calendar of
// 2026-11-30: every minor a vendor dropped or added is named, at the line
// of the distribution's range (or lifecycle where it has no range).
func TestCheckLifecycles(t *testing.T) {
	m, _ := load(t, "lifecycles-2026-11-30.yaml")
	for _, tc := range []struct {
		date string
		want []string // "line rule path", in order
	}{
		{"2026-11-30", []string{
			"11 vendor-ending distributions.eks.kubernetes", // standard support of 1.34 ends 2026-12-02
			"22 vendor-ending distributions.openshift.kubernetes",
			"32 vendor-ended distributions.kind.kubernetes",
			"32 vendor-ended distributions.kind.kubernetes",
		}},
		// Looking ahead: the grace period for OpenShift 4.23 has passed.
		{"2027-01-15", []string{
			"22 vendor-added distributions.openshift.kubernetes",
			"32 vendor-ended distributions.kind.kubernetes",
			"32 vendor-ended distributions.kind.kubernetes",
		}},
	} {
		t.Run(tc.date, func(t *testing.T) {
			var got []string
			for _, p := range Check(m, mustDate(t, tc.date)) {
				got = append(got, fmt.Sprintf("%d %s %s", p.Pos.Line, p.Rule, p.Path))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
	var b strings.Builder
	for _, p := range Check(m, mustDate(t, "2026-11-30")) {
		fmt.Fprintf(&b, "%s failing=%v\n", p, Failing(p))
	}
	golden.Assert(t, "check-lifecycles-2026-11-30.golden", []byte(b.String()))
}

// A kubernetes.extended reason whose date has passed fails the check; the
// day before, it warns.
func TestCheckExtendedExpired(t *testing.T) {
	m, _ := load(t, "extended-expired.yaml")
	for _, tc := range []struct {
		date, want string
		failing    bool
	}{
		{"2026-11-30", "vendor-ending", false},
		{"2026-12-02", "extended-expired", true},
		{"2027-02-01", "extended-expired", true},
	} {
		ps := Check(m, mustDate(t, tc.date))
		if len(ps) != 1 || ps[0].Rule != tc.want || Failing(ps[0]) != tc.failing || ps[0].Path != "kubernetes.extended.1.34" || ps[0].Pos.Line != 7 {
			t.Errorf("%s: findings %v, want one %s (failing %v) at line 7", tc.date, ps, tc.want, tc.failing)
		}
	}
}

// An unknown lifecycle is a failing finding with a suggestion.
func TestCheckUnknownLifecycle(t *testing.T) {
	m := parseInline(t, strings.Replace(inline(`  versions: ["1.35", "1.36", "1.37"]`), "tier: community", "tier: community\n    lifecycle: amazon-ek", 1))
	ps := Check(m, mustDate(t, "2026-11-30"))
	if len(ps) != 1 || ps[0].Rule != RuleUnknownLifecycle || !Failing(ps[0]) || !strings.Contains(ps[0].Message, `did you mean "amazon-eks"`) {
		t.Errorf("findings %v, want one failing unknown-lifecycle suggesting amazon-eks", ps)
	}
}

// A minor past its upstream end of life needs no extended entry while a
// named lifecycle supports it; the derived reason cites vendor and date.
func TestDerivedExtended(t *testing.T) {
	m, _ := load(t, "lifecycles-2026-11-30.yaml")
	c := Default()
	for _, tc := range []struct{ minor, date, want string }{
		{"1.33", "2026-11-30", "Amazon EKS extended support until 2027-07-29; Red Hat OpenShift Maintenance Support until 2027-04-21"},
		{"1.34", "2026-11-30", "Amazon EKS standard support until 2026-12-02; Red Hat OpenShift Maintenance Support until 2027-08-03"},
		{"1.33", "2027-12-01", ""},
	} {
		if got := c.DerivedExtended(m, minor(t, tc.minor), mustDate(t, tc.date)); got != tc.want {
			t.Errorf("%s on %s: %q, want %q", tc.minor, tc.date, got, tc.want)
		}
	}
	// Without the lifecycles, 1.33 and 1.34 are end-of-life findings.
	data, err := os.ReadFile("testdata/lifecycles-2026-11-30.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bare := parseInline(t, strings.NewReplacer("lifecycle: amazon-eks", "lifecycle: none", "lifecycle: red-hat-openshift", "lifecycle: none").Replace(string(data)))
	n := 0
	for _, p := range Check(bare, mustDate(t, "2026-11-30")) {
		if p.Rule == RuleEndOfLife {
			n++
		}
	}
	if n != 2 {
		t.Errorf("without lifecycles: %d end-of-life findings, want 2 (1.33 and 1.34)", n)
	}
}
