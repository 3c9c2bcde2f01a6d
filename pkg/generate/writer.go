package generate

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// writer appends generated jobs to a buffer as block-style YAML, byte for
// byte what encode (yaml.v3, two-space indent) writes for the same tree,
// without building the tree: each job is written straight from the job
// struct (writeJob). It keeps the deepSize estimate of what it wrote in
// size, counted as deepSize counts the nodes encode would have had.
type writer struct {
	buf  []byte
	size int
	err  error // the first scalar yaml.v3 could not write either
	// slow caches the scalars yaml.v3 renders (slowScalar), by place.
	slow map[slowKey][]byte
	// styles caches the style of keys, which repeat, and of strings that
	// start like a number (a minor, 1-35), which the YAML 1.1 and 1.2
	// checks spend most on.
	styles map[string]scalarStyle
	// retryNode is the retry mapping of the matrix retryOf (retry), and
	// retryText what writing it in a job wrote (and added to size).
	retryOf   *matrix.Matrix
	retryNode *yaml.Node
	retryText *written
	// tails caches the variables a chain's jobs share (varsTail).
	tails map[tailKey]*written
}

// written is what the writer wrote for a part that repeats, and the size
// it counted: writing the part again appends the same bytes.
type written struct {
	text []byte
	size int
}

// since returns what the writer wrote since it had written n bytes and
// counted size, or nil after an error.
func (w *writer) since(n, size int) *written {
	if w.err != nil {
		return nil
	}
	return &written{text: append([]byte(nil), w.buf[n:]...), size: w.size - size}
}

// again appends a part written before.
func (w *writer) again(p *written) {
	w.buf = append(w.buf, p.text...)
	w.size += p.size
}

// style returns styleOf(s), from the cache for strings that start with a
// sign, a dot or a digit.
func (w *writer) style(s string) scalarStyle {
	if s == "" || !strings.ContainsRune("+-.0123456789", rune(s[0])) {
		return styleOf(s)
	}
	if st, ok := w.styles[s]; ok {
		return st
	}
	if w.styles == nil {
		w.styles = make(map[string]scalarStyle)
	}
	st := styleOf(s)
	w.styles[s] = st
	return st
}

type slowKey struct {
	s  string
	at place
}

// Node sizes, as deepSize counts them.
const (
	sizeScalar  = 40
	sizeSeq     = 40
	sizeMapping = 40 + 160
	sizeSlot    = 16 // one entry of a node's Content
)

func scalarSize(s string) int {
	if len(s) > 23 {
		return sizeScalar + len(s) + 1
	}
	return sizeScalar
}

func (w *writer) indent(n int) {
	for ; n > 0; n-- {
		w.buf = append(w.buf, ' ')
	}
}

// scalar appends s at the place: after "key:" with its leading space, or
// after "- ", and the line break that ends it.
func (w *writer) scalar(s string, at place) {
	w.size += scalarSize(s)
	style := w.style(s)
	if style == styleSlow {
		k := slowKey{s, at}
		text, ok := w.slow[k]
		if !ok {
			var err error
			if text, err = slowScalar(s, at); err != nil {
				w.fail(err)
				return
			}
			if w.slow == nil {
				w.slow = make(map[slowKey][]byte)
			}
			w.slow[k] = text
		}
		w.buf = append(w.buf, text...)
		return
	}
	if !at.item {
		w.buf = append(w.buf, ' ')
	}
	w.buf = appendQuoted(w.buf, s, style)
	w.buf = append(w.buf, '\n')
}

// key starts a mapping entry at column ind: "key:". Keys are ids, names and
// keywords: printable ASCII on one line, never longer than 128 bytes, so
// the emitter writes them as simple keys in the style of any other scalar.
// Keys inside a job repeat (keywords, variable names): their style is
// cached; a job's name (ind 0) is written once and is not.
func (w *writer) key(ind int, k string) {
	w.size += 2*sizeSlot + scalarSize(k)
	w.indent(ind)
	var style scalarStyle
	if ind == 0 {
		style = styleOf(k)
	} else if keyword(k) {
		style = stylePlain
	} else if st, ok := w.styles[k]; ok {
		style = st
	} else {
		style = styleOf(k)
		if w.styles == nil {
			w.styles = make(map[string]scalarStyle)
		}
		w.styles[k] = style
	}
	if style == styleSlow {
		w.fail(fmt.Errorf("encode key %q: not printable ASCII on one line", k))
		return
	}
	w.buf = appendQuoted(w.buf, k, style)
	w.buf = append(w.buf, ':')
}

// keyword reports whether k is one of the keys writeJob writes in every
// job, which are plain scalars (TestKeywordsPlain): a switch costs less
// than the styles map.
func keyword(k string) bool {
	switch k {
	case "extends", "stage", "needs", "variables", "image", "script", "tags",
		"resource_group", "timeout", "interruptible", "when", "allow_failure",
		"artifacts", "SM_CELL", "SM_FEATURE":
		return true
	}
	return false
}

// str writes the entry key: s.
func (w *writer) str(ind int, k, s string) {
	w.key(ind, k)
	w.scalar(s, place{ind: ind})
}

// literal writes the entry key: v for a scalar encode writes plain whatever
// its tag (true, false, an integer).
func (w *writer) literal(ind int, k, v string) {
	w.key(ind, k)
	w.size += sizeScalar
	w.buf = append(w.buf, ' ')
	w.buf = append(w.buf, v...)
	w.buf = append(w.buf, '\n')
}

// mapping starts the entry key: with a non-empty mapping value; its
// entries follow at ind+2.
func (w *writer) mapping(ind int, k string) {
	w.key(ind, k)
	w.size += sizeMapping
	w.buf = append(w.buf, '\n')
}

// strs writes the entry key: with a sequence of strings.
func (w *writer) strs(ind int, k string, items []string) {
	w.key(ind, k)
	w.size += sizeSeq + sizeSlot*len(items)
	if len(items) == 0 {
		w.buf = append(w.buf, " []\n"...)
		return
	}
	w.buf = append(w.buf, '\n')
	for _, s := range items {
		w.item(ind + 2)
		w.scalar(s, place{item: true, ind: ind + 2})
	}
}

// tree writes the entry key: n for the small trees the generator builds
// once and writes in every job (retryNode): mappings, sequences of
// strings, and string, integer or boolean scalars, as encode writes them.
// Any other shape is an error: the writer would not know its bytes.
func (w *writer) tree(ind int, k string, n *yaml.Node) {
	switch {
	case n.Kind == yaml.MappingNode && len(n.Content) > 0:
		w.mapping(ind, k)
		for i := 0; i+1 < len(n.Content); i += 2 {
			w.tree(ind+2, n.Content[i].Value, n.Content[i+1])
		}
	case n.Kind == yaml.SequenceNode:
		items := make([]string, len(n.Content))
		for i, c := range n.Content {
			if c.Kind != yaml.ScalarNode || c.Tag != "!!str" {
				w.fail(fmt.Errorf("encode %s: item %d is not a string", k, i))
				return
			}
			items[i] = c.Value
		}
		w.strs(ind, k, items)
	case n.Kind == yaml.ScalarNode && n.Tag == "!!str":
		w.str(ind, k, n.Value)
	case n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!bool"):
		w.literal(ind, k, n.Value)
	default:
		w.fail(fmt.Errorf("encode %s: a node of kind %d, tag %q the job writer does not write", k, n.Kind, n.Tag))
	}
}

// fail keeps the first error.
func (w *writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// retry returns the matrix's retry mapping (retryNode, nil without
// retries), built once per matrix: every job carries the same one.
func (w *writer) retry(m *matrix.Matrix) *yaml.Node {
	if w.retryOf != m {
		w.retryOf, w.retryNode, w.retryText = m, retryNode(m.Pipeline.Retry), nil
	}
	return w.retryNode
}

// item starts a sequence item at column ind: "- ".
func (w *writer) item(ind int) {
	w.indent(ind)
	w.buf = append(w.buf, "- "...)
}

// writeJob writes the job as a top-level entry: the template it extends,
// then the keys the generator owns, in a fixed order. It is the one
// definition of a generated job's keys; encode would write the same bytes
// for the same mapping (TestWriterMatchesYAML).
func (w *writer) writeJob(j *job, m *matrix.Matrix) {
	w.mapping(0, j.name)
	if j.tmpl != nil {
		w.str(2, "extends", j.tmpl.key)
	}
	w.str(2, "stage", j.stage)
	if j.needs != nil {
		w.key(2, "needs")
		w.size += sizeSeq + sizeSlot*len(j.needs)
		if len(j.needs) == 0 {
			w.buf = append(w.buf, " []\n"...)
		} else {
			w.buf = append(w.buf, '\n')
		}
		for _, n := range j.needs {
			w.item(4)
			if n.artifacts {
				w.scalar(n.job.name, place{item: true, ind: 4})
				continue
			}
			// - job: NAME
			//   artifacts: false
			w.size += sizeMapping + 2*sizeSlot + scalarSize("job")
			w.buf = append(w.buf, "job:"...)
			w.scalar(n.job.name, place{ind: 6})
			w.literal(6, "artifacts", "false")
		}
	}
	if n := j.vars.len(); n > 0 {
		w.mapping(2, "variables")
		head := 1 // SM_CELL, then SM_FEATURE: never shadowed
		if j.vars.feature != "" {
			head = 2
		}
		for i := 0; i < head; i++ {
			v := j.vars.at(i)
			w.str(4, v.key, v.value)
		}
		w.varsTail(&j.vars, head, n)
	}
	if j.tmpl == nil {
		if j.image != "" {
			w.str(2, "image", j.image)
		}
		w.strs(2, "script", j.script)
	}
	if len(j.tags) > 0 {
		w.strs(2, "tags", j.tags)
	}
	if j.resourceGroup != "" {
		w.str(2, "resource_group", j.resourceGroup)
	}
	if j.timeout != "" {
		w.str(2, "timeout", j.timeout)
	}
	if r := w.retry(m); r != nil {
		if w.retryText != nil {
			w.again(w.retryText)
		} else {
			n, size := len(w.buf), w.size
			w.tree(2, "retry", r)
			w.retryText = w.since(n, size)
		}
	}
	if j.interruptible(m) {
		w.literal(2, "interruptible", "true")
	}
	if j.when != "" {
		w.str(2, "when", j.when)
	}
	if j.allowFailure {
		w.literal(2, "allow_failure", "true")
	}
}

// tailKey names the chain's variables of a job (jobVars.sm and dist, as
// slices the chain's jobs share), and whether SM_FEATURE comes before them.
type tailKey struct {
	sm, dist       *kv
	nsm, ndist     int
	featureShadows bool
}

// varsTail writes the job's variables from the head-th on, the chain's:
// the same bytes for every job of the chain, written once.
func (w *writer) varsTail(v *jobVars, head, n int) {
	k := tailKey{nsm: len(v.sm), ndist: len(v.dist), featureShadows: v.feature != ""}
	if len(v.sm) > 0 {
		k.sm = &v.sm[0]
	}
	if len(v.dist) > 0 {
		k.dist = &v.dist[0]
	}
	if t := w.tails[k]; t != nil {
		w.again(t)
		return
	}
	start, size := len(w.buf), w.size
	for i := head; i < n; i++ {
		kv := v.at(i)
		if shadowed(v, i, kv.key) {
			continue // the generator's SM_* variables come first and win
		}
		w.str(4, kv.key, kv.value)
	}
	if t := w.since(start, size); t != nil {
		if w.tails == nil {
			w.tails = make(map[tailKey]*written)
		}
		w.tails[k] = t
	}
}

// shadowed reports whether a variable before the i-th has the key.
func shadowed(v *jobVars, i int, key string) bool {
	for k := 0; k < i; k++ {
		if v.at(k).key == key {
			return true
		}
	}
	return false
}

// interruptible reports whether the job is written interruptible.
func (j *job) interruptible(m *matrix.Matrix) bool { return interruptible(m, j.cluster) }

// interruptible is the one rule for every job the generator writes (cell
// jobs, the router's provide job, the report jobs): with
// pipeline.interruptible, every job but the cluster jobs.
func interruptible(m *matrix.Matrix, cluster bool) bool {
	// Cluster jobs stay non-interruptible. On a new commit GitLab's
	// auto-cancel (app/services/ci/pipeline_creation/
	// cancel_redundant_pipelines_service.rb) judges each pipeline of a
	// hierarchy on its own, children included: in the default
	// `conservative` mode it cancels a pipeline only when none of its
	// started (running, success, failed) jobs is non-interruptible
	// (Ci::Pipeline.conservative_interruptible), and a cancelled
	// pipeline's when: always teardown never runs. With a started
	// provision or connect job that is not interruptible the child is
	// left to finish, teardown included. In the `interruptible` mode
	// only interruptible jobs are cancelled (safe_cancellation in
	// app/services/ci/cancel_pipeline_service.rb): the feature jobs
	// stop, the teardown is not cancelled and runs once its needs end.
	return m.Pipeline.Interruptible && !cluster
}
