package words

import "testing"

func TestPlural(t *testing.T) {
	tests := []struct {
		word string
		n    int
		want string
	}{
		{"run", 0, "runs"},
		{"run", 1, "run"},
		{"run", 2, "runs"},
		{"cell", -1, "cells"},
	}
	for _, tt := range tests {
		if got := Plural(tt.word, tt.n); got != tt.want {
			t.Errorf("Plural(%q, %d) = %q, want %q", tt.word, tt.n, got, tt.want)
		}
	}
}

func TestOneOf(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"a"}, "a"},
		{[]string{"a", "b"}, "a or b"},
		{[]string{"a", "b", "c"}, "a, b or c"},
	}
	for _, tt := range tests {
		if got := OneOf(tt.in); got != tt.want {
			t.Errorf("OneOf(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAll(t *testing.T) {
	if got := All([]string{"a", "b", "c"}); got != "a, b and c" {
		t.Errorf("All = %q", got)
	}
	if got := All([]string{"a"}); got != "a" {
		t.Errorf("All = %q", got)
	}
}
