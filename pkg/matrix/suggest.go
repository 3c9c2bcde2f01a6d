package matrix

// Suggest proposes the closest of known ids for a misspelt one, as the
// loader's own messages do: "; did you mean "x"?", or the known ids.
// Packages that check ids the loader cannot know (pkg/kube's lifecycles)
// use it so that every "did you mean" reads alike.
func Suggest(id string, known []string) string { return suggest(id, known) }
