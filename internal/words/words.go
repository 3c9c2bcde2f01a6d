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
func OneOf(choices []string) string { return list(choices, " or ") }

// All lists the items for a sentence: "a", "a and b", "a, b and c".
func All(items []string) string { return list(items, " and ") }

func list(items []string, last string) string {
	switch n := len(items); n {
	case 0:
		return ""
	case 1:
		return items[0]
	default:
		return strings.Join(items[:n-1], ", ") + last + items[n-1]
	}
}
