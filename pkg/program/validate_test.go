package program

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// TestValidateReadsTheGivenClock: without --date, the calendar checks run
// on the day Now says (at midnight UTC), never on the process's clock, and
// a --date that is not YYYY-MM-DD is a usage error.
func TestValidateReadsTheGivenClock(t *testing.T) {
	t.Parallel()
	problems := func(o ValidateOptions) []string {
		t.Helper()
		o.Matrix = "../../examples/minimal/matrix.yaml"
		r, err := Validate(o)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range r.Problems {
			out = append(out, p.String())
		}
		return out
	}
	late := func() time.Time { return time.Date(2031, 6, 1, 23, 59, 0, 0, time.FixedZone("x", -5*3600)) }
	byClock := problems(ValidateOptions{Now: late})
	if byDate := problems(ValidateOptions{Date: "2031-06-02"}); !slices.Equal(byClock, byDate) {
		t.Errorf("Now 2031-06-02T04:59Z gave\n%q\n--date 2031-06-02 gave\n%q", byClock, byDate)
	}
	if early := problems(ValidateOptions{Date: "2024-01-01"}); slices.Equal(byClock, early) {
		t.Errorf("2031 and 2024 give the same findings %q: the test cannot tell the days apart", early)
	}
	if _, err := Validate(ValidateOptions{Matrix: "../../examples/minimal/matrix.yaml", Date: "01.06.2031"}); !errors.Is(err, ErrUsage) {
		t.Errorf("--date 01.06.2031: %v, want a usage error", err)
	}
}

// TestVersionsReadsTheGivenClock: versions reads the calendar on the same
// day validate does: --date, else the UTC day of the clock it is given.
func TestVersionsReadsTheGivenClock(t *testing.T) {
	t.Parallel()
	report := func(o VersionsOptions) string {
		t.Helper()
		o.Matrix = "../../examples/minimal/matrix.yaml"
		r, err := Versions(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := r.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	late := func() time.Time { return time.Date(2031, 6, 1, 23, 59, 0, 0, time.FixedZone("x", -5*3600)) }
	if byClock, byDate := report(VersionsOptions{Now: late}), report(VersionsOptions{Date: "2031-06-02"}); byClock != byDate {
		t.Errorf("Now 2031-06-02T04:59Z gave\n%s\n--date 2031-06-02 gave\n%s", byClock, byDate)
	}
	if _, err := Versions(context.Background(), VersionsOptions{Matrix: "../../examples/minimal/matrix.yaml", Date: "01.06.2031"}); !errors.Is(err, ErrUsage) {
		t.Errorf("--date 01.06.2031: %v, want a usage error", err)
	}
}
