package matrix_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// TestPolicyDefaults: the loader applies DefaultPolicy to every tier the
// file does not name and to every key a written policy leaves out, so that
// PolicyFor is the whole truth downstream.
func TestPolicyDefaults(t *testing.T) {
	base, err := os.ReadFile(filepath.Join("testdata", "valid-minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		requires  []string
		greenRuns int
		maxAge    string
	}
	official, beta := matrix.DefaultPolicy(matrix.TierOfficial), matrix.DefaultPolicy(matrix.TierBeta)
	for _, tc := range []struct {
		name   string
		policy string
		want   map[matrix.Tier]want
	}{
		{"no policy section", "", map[matrix.Tier]want{
			matrix.TierOfficial:   {[]string{"docs", "settings", "permanent-cluster"}, 3, "8d"},
			matrix.TierBeta:       {[]string{"docs", "settings"}, 1, "8d"},
			matrix.TierCommunity:  {[]string{}, 1, "8d"},
			matrix.TierDeprecated: {[]string{}, 1, "8d"},
		}},
		{"a key left out keeps the tier's default", "policy:\n  official: {green_runs: 5}\n  beta: {max_age: 2w}\n", map[matrix.Tier]want{
			matrix.TierOfficial: {official.Requires, 5, "8d"},
			matrix.TierBeta:     {beta.Requires, 1, "2w"},
		}},
		{"requires: [] asks nothing", "policy:\n  official: {requires: []}\n", map[matrix.Tier]want{
			matrix.TierOfficial: {[]string{}, 3, "8d"},
		}},
		{"a written list replaces the default", "policy:\n  community: {requires: [docs], green_runs: 30}\n", map[matrix.Tier]want{
			matrix.TierCommunity: {[]string{"docs"}, 30, "8d"},
			matrix.TierOfficial:  {official.Requires, 3, "8d"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := matrix.Parse("m.yaml", append(append([]byte(nil), base...), tc.policy...))
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Policy) != len(matrix.Tiers) {
				t.Errorf("loaded %d policies, want one per tier (%d)", len(m.Policy), len(matrix.Tiers))
			}
			for tier, w := range tc.want {
				p := m.PolicyFor(tier)
				got := want{p.Requires, p.GreenRuns, p.MaxAge.Text}
				if !reflect.DeepEqual(got, w) {
					t.Errorf("PolicyFor(%s) = %+v, want %+v", tier, got, w)
				}
			}
		})
	}
	// A matrix built in code gets the same defaults.
	if got := (&matrix.Matrix{}).PolicyFor(matrix.TierBeta); !reflect.DeepEqual(*got, beta) {
		t.Errorf("PolicyFor on an empty matrix = %+v, want %+v", *got, beta)
	}
}

// TestGreenRunsBound: green_runs can be at most the counting runs the
// history keeps; the bound is results.KeepCounting, not a literal.
func TestGreenRunsBound(t *testing.T) {
	if matrix.MaxGreenRuns != results.KeepCounting {
		t.Fatalf("MaxGreenRuns = %d, results keep %d counting runs", matrix.MaxGreenRuns, results.KeepCounting)
	}
	base, err := os.ReadFile(filepath.Join("testdata", "valid-minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	over := results.KeepCounting + 1
	_, err = matrix.Parse("m.yaml", append(base, []byte("policy:\n  official: {green_runs: "+strconv.Itoa(over)+"}\n")...))
	if err == nil || !strings.Contains(err.Error(), "policy.official.green_runs") || !strings.Contains(err.Error(), strconv.Itoa(results.KeepCounting)) {
		t.Errorf("green_runs %d: err = %v, want one naming policy.official.green_runs and the bound %d", over, err, results.KeepCounting)
	}
}
