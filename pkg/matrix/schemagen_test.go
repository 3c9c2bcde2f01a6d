package matrix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
	"gitlab.com/supportmatrix/supportmatrix/internal/words"
	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
)

// schemaPath is matrix/schema.json seen from this package's directory.
var schemaPath = filepath.Join("..", "..", "matrix", "schema.json")

// refs is a schema object whose keys all refer to one definition: the
// properties of profiles (the pipeline sources) and of policy (the tiers).
type refs struct {
	keys []string
	ref  string
}

// schemaValues are the places of matrix/schema.json whose values the
// loader owns, by JSON pointer, and those values: the enums, consts,
// ranges and patterns of format.go, decode.go, load.go and variables.go,
// and the descriptions that state them (schemaDescriptions).
// TestSchemaGenerated writes them into the schema; everything else in it
// (structure, the other descriptions) is written by hand.
func schemaValues() map[string]any {
	v := map[string]any{
		"/properties/schema/const":                                           Schema,
		"/$defs/id/pattern":                                                  idPattern.String(),
		"/$defs/id/description":                                              "An id: " + IDRule + ".",
		"/$defs/distribution/properties/tier/enum":                           names(Tiers),
		"/$defs/distribution/properties/lifecycle/pattern":                   idPattern.String(),
		"/$defs/distribution/properties/variables/description":               variablesDescription(),
		"/$defs/distribution/properties/variables/propertyNames/pattern":     variablePattern.String(),
		"/$defs/distribution/properties/variables/propertyNames/not/pattern": reservedPattern(),
		"/$defs/cluster/properties/type/enum":                                names(ClusterTypes),
		"/$defs/cluster/properties/provision/pattern":                        templatePattern.String(),
		"/$defs/cluster/properties/teardown/pattern":                         templatePattern.String(),
		"/$defs/feature/properties/template/pattern":                         templatePattern.String(),
		"/$defs/rule/properties/action/enum":                                 names(RuleActions),
		"/$defs/upgrades/properties/path/const":                              UpgradeAdjacent,
		"/$defs/profileMode/enum":                                            ProfileModes,
		"/$defs/profiles/properties":                                         refs{PipelineSources, "#/$defs/profileMode"},
		"/$defs/policy/properties/requires/items/enum":                       Requirements,
		"/$defs/policies/properties":                                         refs{names(Tiers), "#/$defs/policy"},
		"/$defs/pipeline/properties/strategy/enum":                           Strategies,
		"/$defs/pipeline/properties/retry/properties/when/items/enum":        RetryWhen,
	}
	for ptr, d := range schemaDescriptions() {
		v[ptr+"/description"] = d
	}
	for ptr, r := range map[string]Range{
		"/$defs/distribution/properties/skew/properties/max_behind": MaxBehindRange,
		"/$defs/policy/properties/green_runs":                       GreenRunsRange,
		"/$defs/policy/properties/alert_after":                      AlertAfterRange,
		"/$defs/pipeline/properties/retry/properties/max":           RetryMaxRange,
		"/$defs/pipeline/properties/limits/properties/max_jobs":     MaxJobsRange,
		"/$defs/pipeline/properties/limits/properties/max_needs":    MaxNeedsRange,
	} {
		v[ptr+"/minimum"], v[ptr+"/maximum"] = r.Min, r.Max
	}
	return v
}

// schemaDescriptions are the editor help of the keys whose text states a
// loader's default or range, or a GitLab version cicheck owns, by the
// JSON pointer of the key: written from the values, so the help cannot
// drift from them.
func schemaDescriptions() map[string]string {
	mb, gr, aa, rm, mj, mn := MaxBehindRange, GreenRunsRange, AlertAfterRange, RetryMaxRange, MaxJobsRange, MaxNeedsRange
	large := cicheck.MaxYAMLSize(cicheck.LargeYAML) / (1 << 20)
	return map[string]string{
		"/$defs/kubernetes/properties/adopt_within":                 fmt.Sprintf("How long after an upstream release the matrix may lack the new minor before `versions --check` fails (default %s).", DefaultAdoptWithin.Text),
		"/$defs/distribution/properties/skew/properties/max_behind": fmt.Sprintf("How many minors the nodes may lag the control plane: %d to %d, the upstream kubelet skew policy (default %d).", mb.Min, mb.Max, mb.Max),
		"/$defs/policy/properties/requires": "docs: a docs page covering each feature and setting. settings: tested settings listed. permanent-cluster: tested on a permanent cluster. Default: " +
			perTier(func(p Policy) string { return "[" + strings.Join(p.Requires, ", ") + "]" }) + "; [] requires nothing.",
		"/$defs/policy/properties/green_runs": fmt.Sprintf("Consecutive counting runs with every blocking feature passing (default %s; %d to %d, at most the counting runs the history keeps).",
			perTier(func(p Policy) string { return strconv.Itoa(p.GreenRuns) }), gr.Min, gr.Max),
		"/$defs/policy/properties/max_age": fmt.Sprintf("Results older than this are stale (default %s).", perTier(func(p Policy) string { return p.MaxAge.Text })),
		"/$defs/policy/properties/flaky_above": fmt.Sprintf("The flake rate above which a cell reads flaky even when its newest run passed: the share of its counting runs in the history that passed only after a retry or were a one-run excursion between pass and fail. A blocking flaky cell keeps an official distribution x minor qualifying. A share between 0 and 1 (default %s).",
			perTier(func(p Policy) string { return fmt.Sprintf("%g, %g %%", p.FlakyAbove, 100*p.FlakyAbove) })),
		"/$defs/policy/properties/alert_after": fmt.Sprintf("publish --alerts opens an issue for a distribution x minor after this many consecutive failed counting runs of a blocking feature, or consecutive runs whose cluster did not come up (default %s; %d: never; at most %d).",
			perTier(func(p Policy) string { return strconv.Itoa(p.AlertAfter) }), aa.Min, aa.Max),
		"/$defs/pipeline/properties/gitlab": fmt.Sprintf("The oldest GitLab the generated files must run on, such as \"%s\" (the default). The tool derives what the files may use: strategy %s needs %s; shards stay under %d MB of YAML before %s, %d MB since.",
			cicheck.DefaultGitLab, cicheck.StrategyMirror, cicheck.MirrorStrategy, cicheck.MaxYAMLSize(cicheck.DefaultGitLab)/(1<<20), cicheck.LargeYAML, large),
		"/$defs/pipeline/properties/strategy": fmt.Sprintf("How the trigger job follows the child pipeline: %s copies its status exactly (needs gitlab >= %s), %s waits for it. Default: %s when gitlab allows it, else %s.",
			cicheck.StrategyMirror, cicheck.MirrorStrategy, cicheck.StrategyDepend, DefaultStrategy, cicheck.StrategyDepend),
		"/$defs/pipeline/properties/retry/properties/max":        fmt.Sprintf("Retries after a failure: %d to %d, as GitLab's retry:max allows.", rm.Min, rm.Max),
		"/$defs/pipeline/properties/limits/properties/max_jobs":  fmt.Sprintf("Jobs per pipeline before the child pipeline is split into shards (default %d, GitLab.com Free's limit of jobs in active pipelines; %d to %d).", DefaultMaxJobs, mj.Min, mj.Max),
		"/$defs/pipeline/properties/limits/properties/max_needs": fmt.Sprintf("Entries in one job's needs (default and GitLab's limit: %d; at least %d, the prepare and upgrade jobs a verify job needs).", DefaultMaxNeeds, mn.Min),
	}
}

// perTier says a policy default tier by tier, in tier order: "3 for
// official, 1 for beta, community and deprecated", or the one value when
// every tier has it.
func perTier(value func(p Policy) string) string {
	var values []string
	tiers := map[string][]string{}
	for _, t := range Tiers {
		v := value(DefaultPolicy(t))
		if tiers[v] == nil {
			values = append(values, v)
		}
		tiers[v] = append(tiers[v], string(t))
	}
	if len(values) == 1 {
		return values[0]
	}
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = v + " for " + words.All(tiers[v])
	}
	return strings.Join(parts, ", ")
}

// variablesDescription is the editor help of distributions.*.variables,
// which names the reserved variables.
func variablesDescription() string {
	return "CI variables of the distribution's jobs. Reserved, in any case: names starting " +
		words.OneOf(ReservedVariablePrefixes) + " (they steer GitLab, the runner or the generated jobs), and " +
		strings.Join(ReservedVariableNames, ", ") + "."
}

// reservedPattern is the JSON Schema pattern ReservedVariable amounts to:
// a reserved prefix or name, in any case.
func reservedPattern() string {
	ci := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			if r >= 'A' && r <= 'Z' {
				fmt.Fprintf(&b, "[%c%c]", r, r+'a'-'A')
			} else {
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	var prefixes, names []string
	for _, p := range ReservedVariablePrefixes {
		prefixes = append(prefixes, ci(p))
	}
	for _, n := range ReservedVariableNames {
		names = append(names, ci(n))
	}
	return "^(?:" + strings.Join(prefixes, "|") + ")|^(?:" + strings.Join(names, "|") + ")$"
}

// TestSchemaGenerated: the values of matrix/schema.json that the loader
// owns (schemaValues) are the loader's; go test ./pkg/matrix -update (make
// regenerate) writes them in, and make verify fails when they drift.
func TestSchemaGenerated(t *testing.T) {
	src, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	got, err := spliceJSON(src, schemaValues())
	if err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	if golden.Updating() {
		if !bytes.Equal(got, src) {
			if err := os.WriteFile(schemaPath, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	if !bytes.Equal(got, src) {
		t.Errorf("%s differs from the loader's enums, ranges and patterns (go test ./pkg/matrix -update, or make regenerate, writes them in):\n%s", schemaPath, golden.FirstDiff(src, got))
	}
}

// spliceJSON replaces the values at the JSON pointers of values in src,
// keeping every other byte. Each pointer must name a value src has.
func spliceJSON(src []byte, values map[string]any) ([]byte, error) {
	spans := map[string][2]int{}
	dec := json.NewDecoder(bytes.NewReader(src))
	if err := walkJSON(dec, src, "", spans); err != nil {
		return nil, err
	}
	type edit struct {
		start, end int
		text       string
	}
	var edits []edit
	for ptr, v := range values {
		span, ok := spans[ptr]
		if !ok {
			return nil, fmt.Errorf("no value at %s", ptr)
		}
		text, err := formatJSON(v, indentAt(src, span[0]))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ptr, err)
		}
		edits = append(edits, edit{span[0], span[1], text})
	}
	slices.SortFunc(edits, func(a, b edit) int { return b.start - a.start })
	out := slices.Clone(src)
	for _, e := range edits {
		out = slices.Concat(out[:e.start], []byte(e.text), out[e.end:])
	}
	return out, nil
}

// walkJSON records the byte span of the value starting at the decoder's
// position, and of every value inside it, by JSON pointer.
func walkJSON(dec *json.Decoder, src []byte, ptr string, spans map[string][2]int) error {
	start := int(dec.InputOffset())
	for start < len(src) && strings.IndexByte(" \t\r\n:,", src[start]) >= 0 {
		start++
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			key := strings.NewReplacer("~", "~0", "/", "~1").Replace(k.(string))
			if err := walkJSON(dec, src, ptr+"/"+key, spans); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := walkJSON(dec, src, ptr+"/"+strconv.Itoa(i), spans); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
	}
	spans[ptr] = [2]int{start, int(dec.InputOffset())}
	return nil
}

// indentAt is the indentation of the line holding offset i.
func indentAt(src []byte, i int) string {
	line := bytes.LastIndexByte(src[:i], '\n') + 1
	end := line
	for end < len(src) && src[end] == ' ' {
		end++
	}
	return string(src[line:end])
}

// schemaWidth is the longest line formatJSON writes a list on.
const schemaWidth = 100

// formatJSON writes a value in the schema's style: scalars on one line,
// lists of strings on one line or wrapped, a refs object one key a line.
func formatJSON(v any, indent string) (string, error) {
	switch v := v.(type) {
	case refs:
		var b strings.Builder
		b.WriteString("{\n")
		for i, k := range v.keys {
			key, err := formatJSON(k, "")
			if err != nil {
				return "", err
			}
			ref, err := formatJSON(v.ref, "")
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "%s  %s: { \"$ref\": %s }", indent, key, ref)
			if i < len(v.keys)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "}")
		return b.String(), nil
	case []string:
		items := make([]string, len(v))
		for i, s := range v {
			text, err := formatJSON(s, "")
			if err != nil {
				return "", err
			}
			items[i] = text
		}
		if line := "[" + strings.Join(items, ", ") + "]"; len(indent)+len(line) <= schemaWidth {
			return line, nil
		}
		// Too long for a line: items wrapped at schemaWidth, one level in.
		var b strings.Builder
		b.WriteString("[")
		col := schemaWidth // start a line at the first item
		for i, it := range items {
			if i < len(items)-1 {
				it += ","
			}
			if col+1+len(it) > schemaWidth {
				b.WriteString("\n" + indent + "  ")
				col = len(indent) + 2
			} else {
				b.WriteByte(' ')
				col++
			}
			b.WriteString(it)
			col += len(it)
		}
		b.WriteString("\n" + indent + "]")
		return b.String(), nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// TestSpliceJSON: values are replaced at their pointers (escaped keys,
// list items, nested objects), every other byte is kept, and a pointer
// to no value is an error.
func TestSpliceJSON(t *testing.T) {
	src := []byte("{\n  \"a/b\": { \"n\": 1, \"l\": [\"x\"] },\n  \"k\": [ {\"v\": \"old\"} ]\n}\n")
	got, err := spliceJSON(src, map[string]any{"/a~1b/n": 2, "/a~1b/l": []string{"y", "z"}, "/k/0/v": "<new>"})
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"a/b\": { \"n\": 2, \"l\": [\"y\", \"z\"] },\n  \"k\": [ {\"v\": \"<new>\"} ]\n}\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := spliceJSON(src, map[string]any{"/a~1b/missing": 1}); err == nil {
		t.Error("a pointer to no value: no error")
	}
}
