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
