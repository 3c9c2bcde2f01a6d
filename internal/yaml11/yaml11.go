// Package yaml11 tells which strings survive as plain YAML scalars in GitLab.
//
// GitLab reads CI YAML with Ruby's Psych, a YAML 1.1 parser
// (lib/gitlab/config/loader/yaml.rb calls YAML.safe_load). YAML 1.1 resolves
// far more plain scalars to other types than YAML 1.2 does, and Psych adds a
// few of its own: plain `on`, `yes`, `y`, `1:30`, `=`, `~`, `0x1F`, `1_000`,
// `.inf`, `2026-11-30` or `:x` are not strings there. yaml.v3 (our encoder)
// follows YAML 1.2 and writes most of them plain, so an id `on` would reach
// GitLab as the boolean true. Plain reports whether a string may be written
// plain; the generator quotes every other one.
//
// Sources: the YAML 1.1 type repository, https://yaml.org/type/ (bool, int,
// float, null, merge, value, timestamp), and Psych's scalar scanner
// (ruby/psych lib/psych/scalar_scanner.rb: case-insensitive booleans and
// null, symbols, integers and floats with commas). The union of both is
// refused, so a string passes only if every YAML 1.1 reader keeps it a string.
package yaml11

import (
	"regexp"
	"strings"
)

// Plain reports whether s, written as a plain YAML scalar, reads back as the
// string s under YAML 1.1 and under Psych. It does not judge whether s can
// be written plain at all (": ", "#", leading indicators): the YAML encoder
// decides that and quotes on its own.
func Plain(s string) bool {
	if s == "" {
		return false // null
	}
	// The words are at most five bytes long: longer strings skip the
	// case-folding (the generator asks about thousands of strings).
	if len(s) <= 5 {
		switch strings.ToLower(s) {
		// yaml.org/type/bool.html lists the spellings; Psych reads yes,
		// true, on, no, false, off in any case.
		case "y", "yes", "n", "no", "true", "false", "on", "off",
			// yaml.org/type/null.html; Psych: /^null$/i and ~.
			"~", "null",
			// yaml.org/type/merge.html and value.html.
			"<<", "=":
			return false
		}
	}
	if !strings.ContainsRune("+-.:0123456789", rune(s[0])) {
		return true // every pattern below starts with a sign, a dot, a colon or a digit
	}
	if s[0] == '.' && len(s) > 1 && !strings.ContainsRune("0123456789_.eEiInN", rune(s[1])) {
		return true // after a leading dot only the float (.5, ._, .e3), .inf and .nan patterns go on: hidden job keys (.features/deploy)
	}
	if !strings.ContainsAny(s, "0123456789") && strings.Trim(s, "+-.") == "" {
		return true // ".", "-.": strings for Psych (/\A[-+]?\.\Z/) and yaml.v2
	}
	for _, re := range nonString {
		if re.MatchString(s) {
			return false
		}
	}
	return true
}

// nonString are the other YAML 1.1 and Psych patterns, anchored.
var nonString = []*regexp.Regexp{
	// yaml.org/type/int.html: binary, octal, decimal, hexadecimal, base 60;
	// Psych's INTEGER_LEGACY also takes commas ("1,000").
	regexp.MustCompile(`^[-+]?0b[0-1_,]+$`),
	regexp.MustCompile(`^[-+]?0[0-7_,]+$`),
	regexp.MustCompile(`^[-+]?(0|[1-9][0-9_,]*)$`),
	regexp.MustCompile(`^[-+]?0x[0-9a-fA-F_,]+$`),
	regexp.MustCompile(`^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+$`),
	// yaml.org/type/float.html: base 10 (Psych allows commas and a missing
	// exponent sign), base 60, infinity and not-a-number in any case (Psych).
	regexp.MustCompile(`^[-+]?([0-9][0-9_,]*)?\.[0-9_.]*([eE][-+]?[0-9]+)?$`),
	regexp.MustCompile(`^[-+]?[0-9][0-9_,]*([eE][-+]?[0-9]+)$`),
	regexp.MustCompile(`^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*$`),
	regexp.MustCompile(`(?i)^[-+]?\.inf$`),
	regexp.MustCompile(`(?i)^\.nan$`),
	// yaml.org/type/timestamp.html: a date, or a date and time. Psych turns
	// them into Date and Time, which GitLab's safe_load refuses outright.
	regexp.MustCompile(`^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$`),
	regexp.MustCompile(`^-?[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}`),
	// Psych: a plain scalar starting with ':' and one more character is a Symbol.
	regexp.MustCompile(`^:.`),
}
