// Package words holds the English the program counts in, once for every
// package that prints a count: the matrix's exclusion reasons, collect's
// summary, the support table, the digest, PROGRAM.md and the command
// line. It imports nothing of the module, so any package may use it.
package words

import "strings"

// Plural is word, with an s unless n is 1: "1 run", "3 runs".
func Plural(word string, n int) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// OneOf lists the choices for a sentence: "a", "a or b", "a, b or c".
func OneOf(choices []string) string {
	switch n := len(choices); n {
	case 0:
		return ""
	case 1:
		return choices[0]
	default:
		return strings.Join(choices[:n-1], ", ") + " or " + choices[n-1]
	}
}
