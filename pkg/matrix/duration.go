package matrix

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// durationUnits are the units GitLab's duration syntax (ChronicDuration)
// accepts, by the names people write.
var durationUnits = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "wk": 7 * 24 * time.Hour, "wks": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
	"mo": 30 * 24 * time.Hour, "mos": 30 * 24 * time.Hour, "month": 30 * 24 * time.Hour, "months": 30 * 24 * time.Hour,
}

// ParseDuration reads a duration in GitLab's syntax: "45m", "1h 30m",
// "3 hours", "8d", "1 week", or a bare number of seconds. It refuses zero,
// negative and unknown units.
func ParseDuration(s string) (time.Duration, error) {
	text := strings.TrimSpace(strings.ToLower(s))
	if text == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if n, err := strconv.ParseUint(text, 10, 32); err == nil {
		if n == 0 {
			return 0, fmt.Errorf("duration %q is zero", s)
		}
		return time.Duration(n) * time.Second, nil
	}
	var total time.Duration
	rest := strings.NewReplacer(",", " ", " and ", " ").Replace(text)
	for {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		if rest == "" {
			break
		}
		i := strings.IndexFunc(rest, func(r rune) bool { return !unicode.IsDigit(r) && r != '.' })
		if i <= 0 {
			return 0, fmt.Errorf("duration %q: expected a number at %q", s, rest)
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil || n > 1e6 {
			return 0, fmt.Errorf("duration %q: bad number %q", s, rest[:i])
		}
		rest = strings.TrimLeftFunc(rest[i:], unicode.IsSpace)
		j := strings.IndexFunc(rest, func(r rune) bool { return !unicode.IsLetter(r) })
		if j < 0 {
			j = len(rest)
		}
		unit, ok := durationUnits[rest[:j]]
		if !ok {
			return 0, fmt.Errorf("duration %q: unknown unit %q (use s, m, h, d, w or their words)", s, rest[:j])
		}
		total += time.Duration(n * float64(unit))
		rest = rest[j:]
	}
	if total <= 0 {
		return 0, fmt.Errorf("duration %q is zero", s)
	}
	return total, nil
}
