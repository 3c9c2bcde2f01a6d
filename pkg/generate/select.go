package generate

import (
	"fmt"
	"path"
	"strings"
)

// Selector picks cells by their id with one glob per part: "gke/*/runner",
// "*/1.35/*", "k3s/1.34->1.35". A selector with fewer parts than an id
// matches any value for the missing trailing parts ("gke" is every gke
// cell). Globs follow path.Match.
type Selector struct {
	text  string
	parts []string
}

// ParseSelectors reads a comma-separated list of selectors.
func ParseSelectors(s string) ([]Selector, error) {
	var out []Selector
	for _, t := range strings.Split(s, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		sel := Selector{text: t, parts: strings.Split(t, "/")}
		for _, p := range sel.parts {
			if p == "" {
				return nil, fmt.Errorf("selector %q has an empty part; use * for any", t)
			}
			if _, err := path.Match(p, ""); err != nil {
				return nil, fmt.Errorf("selector %q: bad glob %q: %w", t, p, err)
			}
		}
		out = append(out, sel)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty selector: give cells as gke/*/runner, */1.35/* or k3s/1.34->1.35")
	}
	return out, nil
}

// String returns the selector as written.
func (s Selector) String() string { return s.text }

// Match reports whether the cell id matches the selector.
func (s Selector) Match(id string) bool {
	parts := strings.Split(id, "/")
	if len(s.parts) > len(parts) {
		return false
	}
	for i, p := range s.parts {
		if ok, _ := path.Match(p, parts[i]); !ok {
			return false
		}
	}
	return true
}

// MatchAny reports whether any selector matches the cell id.
func MatchAny(sels []Selector, id string) bool {
	for _, s := range sels {
		if s.Match(id) {
			return true
		}
	}
	return false
}

func joinSelectors(sels []Selector) string {
	texts := make([]string, len(sels))
	for i, s := range sels {
		texts[i] = s.text
	}
	return strings.Join(texts, ",")
}
