// Package cellid is the one definition of a cell id's shape and of the
// cell kinds: pkg/matrix builds the ids when it expands a matrix, pkg/
// results reads the kind back from an id (a results file stores a cell's
// kind only when the id does not tell it) and pkg/collect records the
// kind of the cells a manifest names.
//
//	gke/1.35/runner        a feature cell (KindTest): distribution/minor/feature
//	k3s/1.34->1.35         an upgrade cell (KindUpgrade): distribution/from->to
//	kind/1.35/nodes-1.32   a skew cell (KindSkew): distribution/control-plane/nodes-minor
//
// The shapes cannot be confused: matrix ids (distributions, features) are
// lower-case letters, digits and dashes, never a dot, a slash or ">", so no
// feature id reads as "nodes-1.32" and no distribution id holds "->".
// The part before the second slash, distribution/minor, is the id of the
// feature chain (Chain) whose cluster runs the cell.
package cellid

import "strings"

// The kinds of cell a results file holds (SPEC: results.json, cells[].kind).
const (
	KindTest    = "test"
	KindUpgrade = "upgrade"
	KindSkew    = "skew"
)

// Kinds lists every kind, in the order SPEC names them.
var Kinds = []string{KindTest, KindUpgrade, KindSkew}

const (
	upgradeArrow = "->"
	skewPrefix   = "nodes-"
)

// Chain is the id of a distribution × minor feature chain: "gke/1.35".
func Chain(dist, minor string) string { return dist + "/" + minor }

// Feature is a feature cell's id: "gke/1.35/runner".
func Feature(dist, minor, feature string) string { return Chain(dist, minor) + "/" + feature }

// Upgrade is an upgrade cell's id: "k3s/1.34->1.35".
func Upgrade(dist, from, to string) string { return dist + "/" + from + upgradeArrow + to }

// Skew is a skew cell's id: "kind/1.35/nodes-1.32".
func Skew(dist, controlPlane, nodes string) string {
	return Chain(dist, controlPlane) + "/" + skewPrefix + nodes
}

// KindOf is the kind of the cell with the id, read back from its shape:
// an upgrade when it holds "->", a skew when its third part is
// "nodes-<minor>", a feature cell (KindTest) otherwise.
func KindOf(id string) string {
	if strings.Contains(id, upgradeArrow) {
		return KindUpgrade
	}
	if g := Group(id); len(g) < len(id) {
		rest := id[len(g)+1:]
		if m, ok := strings.CutPrefix(rest, skewPrefix); ok && isMinor(m) && strings.Count(g, "/") == 1 {
			return KindSkew
		}
	}
	return KindTest
}

// Group is the id up to its second slash: the chain (distribution/minor)
// of a feature or skew cell, whose cells share one server version; an
// upgrade cell, with one slash, is its own group.
func Group(id string) string {
	i := strings.IndexByte(id, '/')
	if i < 0 {
		return id
	}
	if j := strings.IndexByte(id[i+1:], '/'); j >= 0 {
		return id[:i+1+j]
	}
	return id
}

// isMinor reports whether s reads as a Kubernetes minor, "1.32".
func isMinor(s string) bool {
	major, minor, ok := strings.Cut(s, ".")
	return ok && digits(major) && digits(minor)
}

func digits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
