package matrix_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// referencePath is the matrix format's reference, kept true by the tests
// below against the JSON Schema (every key) and the loader (every default,
// every example).
var referencePath = filepath.Join(repoRoot, "docs", "matrix-reference.md")

// schemaKeys lists every key a matrix may hold, from matrix/schema.json, as
// dotted paths: "*" for a key the user names (a distribution id, a tier, a
// pipeline source) and "[]" for the items of a list, as in
// "distributions.*.cluster.type", "policy.*.green_runs", "rules[].match".
// Keys of maps whose values are plain text (kubernetes.extended,
// release_names, variables) are the map's own key.
func schemaKeys(t *testing.T) map[string]string {
	t.Helper()
	root := schemaJSON(t)
	defs, _ := root["$defs"].(map[string]any)
	resolve := func(s any) map[string]any {
		m, _ := s.(map[string]any)
		for m != nil {
			ref, ok := m["$ref"].(string)
			if !ok {
				break
			}
			m, _ = defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		}
		return m
	}
	keys := map[string]string{} // key -> description
	describe := func(s any) string {
		m, _ := s.(map[string]any)
		if d, ok := m["description"].(string); ok {
			return d
		}
		d, _ := resolve(s)["description"].(string)
		return d
	}
	var walk func(path string, s any)
	join := func(path, key string) string {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	walk = func(path string, s any) {
		m := resolve(s)
		if m == nil {
			return
		}
		if props, ok := m["properties"].(map[string]any); ok {
			// A fixed set of names that share one definition (the
			// tiers of policy, the pipeline sources of profiles) is
			// a key the user names.
			var refs []string
			for _, p := range props {
				pm, _ := p.(map[string]any)
				ref, _ := pm["$ref"].(string)
				refs = append(refs, ref)
			}
			slices.Sort(refs)
			if len(props) > 1 && refs[0] != "" && refs[0] == refs[len(refs)-1] {
				var any0 any
				for _, p := range props {
					any0 = p
					break
				}
				keys[join(path, "*")] = describe(s)
				walk(join(path, "*"), any0)
				return
			}
			for name, p := range props {
				keys[join(path, name)] = describe(p)
				walk(join(path, name), p)
			}
		}
		if ap, ok := m["additionalProperties"].(map[string]any); ok {
			if _, hasProps := resolve(ap)["properties"]; hasProps {
				keys[join(path, "*")] = describe(ap)
				walk(join(path, "*"), ap)
			}
		}
		if items, ok := m["items"]; ok {
			if _, hasProps := resolve(items)["properties"]; hasProps {
				walk(path+"[]", items)
			}
		}
	}
	walk("", root)
	return keys
}

// refRow is one row of the reference's key tables.
type refRow struct {
	keys     []string // the backticked keys of the first cell
	typ      string   // the Type cell
	defaults []string // the backticked values of the Default cell
	line     int
}

// readReference returns the rows of every table whose header starts with
// "| Key |" and has a Default column, and the ```yaml examples with their
// first lines.
func readReference(t *testing.T) ([]refRow, map[int]string) {
	t.Helper()
	f, err := os.Open(referencePath)
	if err != nil {
		t.Fatalf("the matrix reference: %v", err)
	}
	defer f.Close()
	tick := regexp.MustCompile("`([^`]+)`")
	var rows []refRow
	examples := map[int]string{}
	defaultCol := -1
	inExample, exampleLine := false, 0
	var example strings.Builder
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case inExample && line == "```":
			examples[exampleLine] = example.String()
			inExample = false
		case inExample:
			example.WriteString(line + "\n")
		case line == "```yaml":
			inExample, exampleLine = true, n+1
			example.Reset()
		case strings.HasPrefix(line, "| Key |"):
			defaultCol = -1
			for i, c := range strings.Split(line, "|") {
				if strings.TrimSpace(c) == "Default" {
					defaultCol = i
				}
			}
		case strings.HasPrefix(line, "| ") && defaultCol > 0:
			cells := strings.Split(strings.ReplaceAll(line, `\|`, "\x00"), "|")
			if len(cells) <= defaultCol || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") {
				continue
			}
			r := refRow{line: n, typ: strings.TrimSpace(strings.ReplaceAll(cells[2], "\x00", "|"))}
			for _, m := range tick.FindAllStringSubmatch(cells[1], -1) {
				r.keys = append(r.keys, m[1])
			}
			for _, m := range tick.FindAllStringSubmatch(cells[defaultCol], -1) {
				r.defaults = append(r.defaults, m[1])
			}
			rows = append(rows, r)
		case !strings.HasPrefix(line, "|"):
			defaultCol = -1
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows, examples
}

// TestReferenceDocumentsSchema: every key of matrix/schema.json has a row
// in docs/matrix-reference.md, and every row names a key the schema has.
func TestReferenceDocumentsSchema(t *testing.T) {
	keys := schemaKeys(t)
	rows, _ := readReference(t)
	documented := map[string]int{}
	for _, r := range rows {
		for _, k := range r.keys {
			documented[k] = r.line
		}
	}
	var missing []string
	for k, desc := range keys {
		if _, ok := documented[k]; !ok {
			missing = append(missing, fmt.Sprintf("| `%s` | <type> | <default, in backticks, or none> | %s |", k, desc))
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%s lacks a row for %d schema keys; add these rows to the table of their section (fill in type and default: the loader's default in backticks, which TestReferenceDefaults checks):\n%s",
			referencePath, len(missing), strings.Join(missing, "\n"))
	}
	for k, line := range documented {
		if _, ok := keys[k]; !ok {
			t.Errorf("%s:%d: `%s` is not a key of matrix/schema.json; fix its name or add it to the schema", referencePath, line, k)
		}
	}
}

// loaderDefaults gives, per key, what the loader fills in where the file is
// silent, as the reference's Default column writes it (each value in
// backticks, in this order). A key documented with a default needs an
// entry here, so that the two are compared.
var loaderDefaults = map[string]func(m *matrix.Matrix) []string{
	"kubernetes.adopt_within": func(m *matrix.Matrix) []string { return []string{m.Kubernetes.AdoptWithin.Text} },
	"distributions.*.skew.max_behind": func(m *matrix.Matrix) []string {
		return []string{strconv.Itoa(m.Distributions[0].Skew.MaxBehind)}
	},
	"features.*.blocking": func(m *matrix.Matrix) []string { return []string{strconv.FormatBool(m.Features[0].Blocking)} },
	"upgrades.path":       func(m *matrix.Matrix) []string { return []string{m.Upgrades.Path} },
	"profiles.*": func(m *matrix.Matrix) []string {
		var out []string
		for _, p := range m.Profiles {
			out = append(out, p.Source+": "+p.Mode)
		}
		return append(out, m.ProfileFor("push"))
	},
	"policy.*.requires":   perTier(func(p *matrix.Policy) string { return "[" + strings.Join(p.Requires, ", ") + "]" }),
	"policy.*.green_runs": perTier(func(p *matrix.Policy) string { return strconv.Itoa(p.GreenRuns) }),
	"policy.*.max_age":    perTier(func(p *matrix.Policy) string { return p.MaxAge.Text }),
	"policy.*.flaky_above": perTier(func(p *matrix.Policy) string {
		return strconv.FormatFloat(p.FlakyAbove, 'g', -1, 64)
	}),
	"policy.*.alert_after": perTier(func(p *matrix.Policy) string { return strconv.Itoa(p.AlertAfter) }),
	"policy.*.alert_stale": func(m *matrix.Matrix) []string {
		return []string{m.PolicyFor(matrix.TierOfficial).AlertStale.Text}
	},
	"pipeline.gitlab":           func(m *matrix.Matrix) []string { return []string{m.Pipeline.GitLab.String()} },
	"pipeline.strategy":         func(m *matrix.Matrix) []string { return []string{m.Pipeline.Strategy} },
	"pipeline.retry.max":        func(m *matrix.Matrix) []string { return []string{strconv.Itoa(m.Pipeline.Retry.Max)} },
	"pipeline.interruptible":    func(m *matrix.Matrix) []string { return []string{strconv.FormatBool(m.Pipeline.Interruptible)} },
	"pipeline.limits.max_jobs":  func(m *matrix.Matrix) []string { return []string{strconv.Itoa(m.Pipeline.Limits.MaxJobs)} },
	"pipeline.limits.max_needs": func(m *matrix.Matrix) []string { return []string{strconv.Itoa(m.Pipeline.Limits.MaxNeeds)} },
}

// perTier reads one policy value of every tier, in tier order; one value
// when every tier has the same.
func perTier(value func(p *matrix.Policy) string) func(m *matrix.Matrix) []string {
	return func(m *matrix.Matrix) []string {
		var out []string
		for _, t := range matrix.Tiers {
			out = append(out, value(m.PolicyFor(t)))
		}
		if slices.Equal(out, slices.Repeat(out[:1], len(out))) {
			return out[:1]
		}
		return out
	}
}

// silentMatrix is testdata/valid-minimal.yaml with an upgrades section and a
// skew section that write none of their keys but the verify lists: every
// key with a default is left out.
func silentMatrix(t *testing.T) *matrix.Matrix {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "valid-minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "    tier: community\n", "    tier: community\n    skew: {verify: [deploy]}\n", 1) + "upgrades: {verify: [deploy]}\n"
	m, err := matrix.Parse("silent.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if m.Distributions[0].Skew == nil || m.Upgrades == nil {
		t.Fatal("the silent matrix lost its skew or upgrades section")
	}
	return m
}

// TestReferenceDefaults: each default the reference states is the one the
// loader applies to a matrix that leaves the key out (silentMatrix).
func TestReferenceDefaults(t *testing.T) {
	m := silentMatrix(t)
	rows, _ := readReference(t)
	for _, r := range rows {
		for _, k := range r.keys {
			def, ok := loaderDefaults[k]
			switch {
			case ok:
				if want := def(m); !slices.Equal(r.defaults, want) {
					t.Errorf("%s:%d: `%s` has the default %q in the reference, but the loader's is %q: write `%s` in its Default cell",
						referencePath, r.line, k, r.defaults, want, strings.Join(want, "`, `"))
				}
			case len(r.defaults) > 0:
				t.Errorf("%s:%d: `%s` states a default (%q) that no test compares with the loader's: add %q to loaderDefaults in pkg/matrix/reference_test.go",
					referencePath, r.line, k, r.defaults, k)
			}
		}
	}
	for k := range loaderDefaults {
		found := false
		for _, r := range rows {
			found = found || slices.Contains(r.keys, k)
		}
		if !found {
			t.Errorf("loaderDefaults has %q, which %s does not document", k, referencePath)
		}
	}
}

// TestReferenceExamples: every ```yaml example of the reference is a whole
// matrix that loads without an error, and together they use every key the
// schema has, so each key is shown in use.
func TestReferenceExamples(t *testing.T) {
	_, examples := readReference(t)
	if len(examples) == 0 {
		t.Fatalf("%s has no ```yaml example", referencePath)
	}
	used := map[string]bool{}
	for line, text := range examples {
		// Blank lines in front keep the reference's line numbers in
		// the loader's messages.
		if _, err := matrix.Parse(referencePath, []byte(strings.Repeat("\n", line-1)+text)); err != nil {
			t.Errorf("the example at %s:%d does not load (each example is a whole matrix):\n%v", referencePath, line, err)
		}
		var doc any
		if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
			continue
		}
		collectKeys("", doc, used)
	}
	var unused []string
	for k := range schemaKeys(t) {
		if !used[k] {
			unused = append(unused, k)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf("no example in %s uses these keys; show each in an example:\n  %s", referencePath, strings.Join(unused, "\n  "))
	}
}

// collectKeys records the dotted key paths of v, each user-named map key
// both as itself and as "*", list items as "[]".
func collectKeys(path string, v any, out map[string]bool) {
	join := func(key string) string {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			for _, p := range []string{join(k), join("*")} {
				out[p] = true
				collectKeys(p, c, out)
			}
		}
	case []any:
		for _, c := range v {
			collectKeys(path+"[]", c, out)
		}
	}
}

// referenceTypes gives, per key with an enumeration or a range, the Type
// cell the reference must write: the loader's values (format.go), as
// `a` \| `b` for a choice, "list of `a`, `b`" for a list of choices,
// "min to max" for a range.
var referenceTypes = map[string]string{
	"distributions.*.tier":            choice(tierNames()),
	"distributions.*.cluster.type":    choice([]string{string(matrix.ClusterPermanent), string(matrix.ClusterEphemeral)}),
	"distributions.*.skew.max_behind": span(matrix.MaxBehindRange),
	"rules[].action":                  choice(actionNames()),
	"upgrades.path":                   choice([]string{matrix.UpgradeAdjacent}),
	"profiles.*":                      choice(matrix.ProfileModes),
	"policy.*":                        "mapping, one of `" + strings.Join(tierNames(), "`, `") + "`",
	"policy.*.requires":               "list of `" + strings.Join(matrix.Requirements, "`, `") + "`",
	"policy.*.green_runs":             span(matrix.GreenRunsRange),
	"policy.*.alert_after":            span(matrix.AlertAfterRange),
	"pipeline.strategy":               choice(matrix.Strategies),
	"pipeline.retry.max":              span(matrix.RetryMaxRange),
	"pipeline.limits.max_jobs":        span(matrix.MaxJobsRange),
	"pipeline.limits.max_needs":       span(matrix.MaxNeedsRange),
}

func choice(values []string) string { return "`" + strings.Join(values, "` | `") + "`" }

func span(r matrix.Range) string { return fmt.Sprintf("%d to %d", r.Min, r.Max) }

func tierNames() []string {
	var out []string
	for _, t := range matrix.Tiers {
		out = append(out, string(t))
	}
	return out
}

func actionNames() []string {
	var out []string
	for _, a := range matrix.RuleActions {
		out = append(out, string(a))
	}
	return out
}

// TestReferenceTypes: the reference's Type cell of each key with an
// enumeration or a range writes the loader's values (referenceTypes).
func TestReferenceTypes(t *testing.T) {
	rows, _ := readReference(t)
	seen := map[string]bool{}
	for _, r := range rows {
		for _, k := range r.keys {
			want, ok := referenceTypes[k]
			if !ok {
				continue
			}
			seen[k] = true
			if r.typ != want {
				t.Errorf("%s:%d: `%s` has the type %q, but the loader takes %q: write that in its Type cell", referencePath, r.line, k, r.typ, want)
			}
		}
	}
	for k := range referenceTypes {
		if !seen[k] {
			t.Errorf("referenceTypes has %q, which %s does not document", k, referencePath)
		}
	}
}
