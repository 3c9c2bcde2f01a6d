package matrix

// Helpers for pkg/kube, which holds the matrix to the Kubernetes and vendor
// calendars and rewrites its minors (`versions --check`, `versions --sync`).

// Suggest proposes the closest of known ids for a misspelt one, as the
// loader's own messages do: "; did you mean "x"?", or the known ids.
// Packages that check ids the loader cannot know (pkg/kube's lifecycles)
// use it so that every "did you mean" reads alike.
func Suggest(id string, known []string) string { return suggest(id, known) }

// repairable are the rules whose errors a rewrite of the minors repairs:
// an upgrade path that skips a minor (fill the gap), a range that allows no
// listed minor (widen it).
var repairable = map[string]bool{"upgrade-skip": true, "offers-nothing": true}

// ParseToRepair decodes and validates matrix data like ParseWithWarnings,
// but also returns the matrix when its only errors are ones `versions
// --sync` repairs, so that sync fills a gap instead of refusing the file
// every week. The matrix is nil when any other error was found; the
// problems are returned either way.
func ParseToRepair(file string, data []byte) (*Matrix, Problems) {
	d := &decoder{file: file}
	m := d.parse(data)
	d.probs.Sort()
	for _, p := range d.probs.Errors() {
		if !repairable[p.Rule] {
			return nil, d.probs
		}
	}
	return m, d.probs
}
