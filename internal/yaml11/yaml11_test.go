package yaml11

import (
	"strings"
	"testing"

	yaml2 "go.yaml.in/yaml/v2"
)

// TestPlain checks the resolver against the YAML 1.1 type repository
// (https://yaml.org/type/) and Psych's scalar scanner
// (ruby/psych lib/psych/scalar_scanner.rb).
func TestPlain(t *testing.T) {
	for _, tc := range []struct {
		s     string
		plain bool
		why   string
	}{
		{"on", false, "bool (yaml.org/type/bool)"},
		{"ON", false, "bool"},
		{"yes", false, "bool"},
		{"Yes", false, "bool"},
		{"y", false, "bool"},
		{"N", false, "bool"},
		{"off", false, "bool"},
		{"TrUe", false, "Psych: /^(yes|true|on)$/i"},
		{"~", false, "null"},
		{"NULL", false, "null"},
		{"", false, "null"},
		{"=", false, "value (yaml.org/type/value)"},
		{"<<", false, "merge (yaml.org/type/merge)"},
		{"1:30", false, "base 60 int"},
		{"190:20:30", false, "base 60 int"},
		{"1:30.5", false, "base 60 float"},
		{"0x1F", false, "hexadecimal int"},
		{"017", false, "octal int"},
		{"0b101", false, "binary int"},
		{"1_000", false, "int with underscores"},
		{"1,000", false, "Psych INTEGER_LEGACY"},
		{"12", false, "int"},
		{"-3", false, "int"},
		{"1.35", false, "float"},
		{".5", false, "float"},
		{"6.8523015e+5", false, "float"},
		{"1e3", false, "Psych float without a sign in the exponent"},
		{".inf", false, "float"},
		{"-.Inf", false, "float"},
		{".NaN", false, "float"},
		{"2026-11-30", false, "timestamp (Date in Psych, refused by safe_load)"},
		{"2001-12-14t21:59:43.10-05:00", false, "timestamp"},
		{":x", false, "Psych symbol"},
		// strings
		{"deploy", true, ""},
		{"1-35", true, "dashed minor"},
		{"gke/1.35/deploy", true, ""},
		{"k3s/1.34->1.35", true, ""},
		{"onion", true, ""},
		{"yesterday", true, ""},
		{"o", true, ""},
		{"0o17", true, "YAML 1.2 octal, a string in 1.1 (yaml.v3 quotes it itself)"},
		{"1.2.3", false, "the YAML 1.1 float pattern allows more dots: \\.[0-9.]*"},
		{"v1.35", true, ""},
		{"alpine/k8s:1.34.2", true, ""},
		{"x:", true, ""},
		{"a=b", true, ""},
		{".", true, "Psych: /\\A[-+]?\\.\\Z/ stays a string"},
	} {
		if got := Plain(tc.s); got != tc.plain {
			t.Errorf("Plain(%q) = %v, want %v (%s)", tc.s, got, tc.plain, tc.why)
		}
	}
}

// TestLeadingDot: Plain passes a string that starts with a dot without
// trying the patterns when the next byte is none of "0-9 _ . e E i I n N";
// no pattern may match such a string.
func TestLeadingDot(t *testing.T) {
	for c := byte(' '); c <= '~'; c++ {
		if strings.IndexByte("0123456789_.eEiInN", c) >= 0 {
			continue
		}
		for _, rest := range []string{"", "5", "nf", "an", "features/deploy", "e5", "_", ":30", "0-01-01 1:00:00"} {
			s := "." + string(c) + rest
			for _, re := range nonString {
				if re.MatchString(s) {
					t.Errorf("%q matches %s, but Plain passes it after the dot", s, re)
				}
			}
			if !Plain(s) {
				t.Errorf("Plain(%q) = false", s)
			}
		}
	}
}

// TestAgreesWithYAMLv2 checks against an independent YAML 1.1 reader:
// every string yaml.v2 (which follows YAML 1.1 for booleans, null, ints,
// floats and merge keys) reads as another type must be refused.
func TestAgreesWithYAMLv2(t *testing.T) {
	for _, s := range []string{
		"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
		"false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "~", "null", "Null",
		"NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "-.inf", "-.INF",
		"0x1F", "0b101", "017", "1_000", "12", "+12", "-12", "0", "1.35", "1.30", ".5",
		"1e3", "6.8523015e+5", "2026-11-30", "deploy", "1-35", "on-call", "x1", "1x",
	} {
		var v any
		if err := yaml2.Unmarshal([]byte(s), &v); err != nil {
			t.Fatalf("yaml.v2 %q: %v", s, err)
		}
		if str, ok := v.(string); (!ok || str != s) && Plain(s) {
			t.Errorf("yaml.v2 reads %q as %T %v, but Plain says it stays a string", s, v, v)
		}
	}
}
