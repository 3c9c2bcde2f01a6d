package matrix_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// TestAlertPolicy: alert_after defaults to matrix.DefaultAlertAfter on
// every tier; alert_stale exists on the official tier only and follows its
// max_age unless written.
func TestAlertPolicy(t *testing.T) {
	base, err := os.ReadFile(filepath.Join("testdata", "valid-minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	for _, tc := range []struct {
		name, policy string
		tier         matrix.Tier
		after        int
		stale        time.Duration
	}{
		{"defaults, official", "", matrix.TierOfficial, matrix.DefaultAlertAfter, 8 * day},
		{"defaults, community", "", matrix.TierCommunity, matrix.DefaultAlertAfter, 0},
		{"written", "policy:\n  official: {alert_after: 3, alert_stale: 36h}\n", matrix.TierOfficial, 3, 36 * time.Hour},
		{"off", "policy:\n  beta: {alert_after: 0}\n", matrix.TierBeta, 0, 0},
		{"follows max_age", "policy:\n  official: {max_age: 3d}\n", matrix.TierOfficial, matrix.DefaultAlertAfter, 3 * day},
	} {
		m, err := matrix.Parse("m.yaml", append(append([]byte(nil), base...), tc.policy...))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		p := m.PolicyFor(tc.tier)
		if p.AlertAfter != tc.after || p.AlertStale.D != tc.stale {
			t.Errorf("%s: alert_after %d, alert_stale %v; want %d, %v", tc.name, p.AlertAfter, p.AlertStale.D, tc.after, tc.stale)
		}
	}
	for _, tc := range []struct{ policy, want string }{
		{"policy:\n  beta: {alert_stale: 2d}\n", "alert_stale applies to the official tier only"},
		{"policy:\n  official: {alert_after: 31}\n", "must be between 0 and 30"},
		{"policy:\n  official: {alert_stale: soon}\n", "policy.official.alert_stale"},
	} {
		_, err := matrix.Parse("m.yaml", append(append([]byte(nil), base...), tc.policy...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error with %q", tc.policy, err, tc.want)
		}
	}
}
