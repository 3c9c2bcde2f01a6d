// Package docs checks and writes the support program's own documents: it
// verifies that every official and beta distribution has the documentation,
// tested settings and cluster its tier requires (Check), and writes
// matrix/PROGRAM.md, the program and each distribution's path to official
// support (Program, Explain).
//
// The documentation convention it checks is the one docs/README.md states.
// A distribution's page (its `docs:` path in the matrix, relative to the
// repository root) has one section per feature area the matrix runs on the
// distribution (a cell that is not excluded), marked by an HTML anchor whose
// id is the feature id, on its own line directly above a heading of level 2
// or deeper (a kramdown `{#id}` attribute on such a heading counts too), and
// a level-2 "Tested settings" section listing each of the distribution's
// matrix settings as one list item, verbatim:
//
//	<a id="runner"></a>
//	## Runner Kubernetes executor
//
//	## Tested settings
//
//	- Dataplane V2 (eBPF networking with network policy enforcement)
package docs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gitlab.com/supportmatrix/supportmatrix/internal/words"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// SettingsHeading is the text of the level-2 heading of a page's tested
// settings section.
const SettingsHeading = "Tested settings"

// FeatureAnchor returns the anchor id of a feature's section: the feature
// id itself, so that links read docs/distributions/gke.md#runner.
func FeatureAnchor(featureID string) string { return featureID }

// misspelt lists anchor ids that look meant for the feature's section.
func misspelt(featureID string) []string {
	return []string{"feature-" + featureID, "feature_" + featureID, "features-" + featureID}
}

// Conventions is where the repository documents the page convention.
const Conventions = "docs/README.md"

// DefaultPagesDir is where PagesDir suggests pages when the matrix names
// none.
const DefaultPagesDir = "docs/distributions"

// PagesDir is where the project keeps its docs pages: the directory most of
// the matrix's docs: entries are in (the first in file order on a tie), or
// DefaultPagesDir when the matrix names no page. Advice and the program
// document follow the project's own layout, not this repository's.
func (a *Audit) PagesDir() string {
	count := map[string]int{}
	best, n := "", 0
	for _, d := range a.Matrix.Distributions {
		if d.Docs == "" {
			continue
		}
		dir := path.Dir(path.Clean(strings.TrimPrefix(d.Docs, "./")))
		count[dir]++
		if count[dir] > n {
			best, n = dir, count[dir]
		}
	}
	if best == "" {
		return DefaultPagesDir
	}
	return best
}

// PagePath suggests the docs page of a distribution: PagesDir()/<id>.md.
func (a *Audit) PagePath(id string) string { return path.Join(a.PagesDir(), id+".md") }

// HasConventions reports whether the repository documents the page
// convention in Conventions; when it does not, advice describes the
// convention instead of naming a file that is not there.
func (a *Audit) HasConventions() bool {
	st, err := os.Stat(filepath.Join(a.Root, filepath.FromSlash(Conventions)))
	return err == nil && st.Mode().IsRegular()
}

// conventionText names the page convention: the file that documents it, or
// the convention itself in a phrase.
func (a *Audit) conventionText() string {
	if a.HasConventions() {
		return Conventions
	}
	return "the page convention (an `<a id=\"<feature id>\"></a>` line above each feature area's heading, tested settings under `## " + SettingsHeading + "`)"
}

// MaxPageSize is the largest docs page read.
const MaxPageSize = 1 << 20

// Audit is what Inspect found for every distribution of a matrix: the
// requirements of its tier, which of them it meets, and the gaps.
type Audit struct {
	Matrix        *matrix.Matrix
	Root          string // the directory docs paths are relative to
	Distributions []*DistAudit
}

// DistAudit is one distribution's checklist.
type DistAudit struct {
	Distribution *matrix.Distribution
	// Requires lists the requirements of the distribution's own tier
	// (docs, settings, permanent-cluster), in policy order.
	Requires []string
	// Page is the parsed docs page, nil when there is none.
	Page *Page
	// PagePath is the page as problems name it: the root joined with the
	// matrix's docs path ("" without a docs path).
	PagePath string
	// PageMissing says why there is no page; "" when Page is set.
	PageMissing string
	// Features lists every feature area the matrix runs on the
	// distribution (at least one cell not excluded), in file order.
	Features []FeatureDoc
	// SettingsLine is the line of the "## Tested settings" heading, 0
	// without one.
	SettingsLine int
	// Settings lists each matrix setting and where the page lists it.
	Settings []SettingDoc
	// Extra are the top-level items of the tested-settings section that
	// state no matrix setting.
	Extra []ListItem
	// Problems are the gaps against the distribution's own tier.
	Problems matrix.Problems
}

// FeatureDoc is one feature area the distribution runs and its section.
type FeatureDoc struct {
	Feature *matrix.Feature
	Line    int // the anchor's line on the page, 0 when undocumented
	// Hint says what is wrong with a near miss (an anchor in the wrong
	// form or place), with its line; "" when there is none.
	Hint     string
	HintLine int
}

// SettingDoc is one tested setting and where the page lists it.
type SettingDoc struct {
	Setting matrix.Setting
	Line    int // the list item's line in the tested-settings section, 0 when unlisted
	// NearLine is the line of an item that states the setting with other
	// formatting, case or spacing, 0 when there is none.
	NearLine int
}

// Check inspects the documentation of the matrix's distributions under root
// (empty: DefaultRoot of the matrix file) and returns every gap as a
// warning, sorted by file and line. `validate` shows them with its own
// warnings; `docs --check` fails on any.
func Check(m *matrix.Matrix, root string) matrix.Problems {
	return Inspect(m, root).Problems()
}

// CheckPlan is Check on a matrix already expanded (plan.Matrix), so that
// validate expands it once.
func CheckPlan(plan *matrix.Plan, root string) matrix.Problems {
	return inspect(plan, root).Problems()
}

// Problems returns the gaps of every distribution, sorted by place.
func (a *Audit) Problems() matrix.Problems {
	var out matrix.Problems
	for _, d := range a.Distributions {
		out = append(out, d.Problems...)
	}
	out.Sort()
	return out
}

// Distribution returns the audit of the distribution with the id, or nil.
func (a *Audit) Distribution(id string) *DistAudit {
	for _, d := range a.Distributions {
		if d.Distribution.ID == id {
			return d
		}
	}
	return nil
}

// Requirements returns what the tier requires: its policy's requires
// (matrix.DefaultPolicy where the matrix is silent).
func Requirements(m *matrix.Matrix, t matrix.Tier) []string {
	return m.PolicyFor(t).Requires
}

// Requirement checks one policy requirement (docs, settings,
// permanent-cluster) for the distribution the way Check does, whatever its
// tier, and says in a phrase what satisfied it or what is missing. It lets
// the support table hold a distribution back on the same grounds as the
// docs check.
func (a *Audit) Requirement(distID, name string) (met bool, detail string) {
	da := a.Distribution(distID)
	if da == nil {
		return false, fmt.Sprintf("no distribution %q", distID)
	}
	d := da.Distribution
	switch name {
	case matrix.RequireDocs:
		if da.Page == nil {
			if d.Docs == "" {
				return false, "no docs page declared"
			}
			return false, fmt.Sprintf("docs page %s does not exist", d.Docs)
		}
		var missing []string
		for _, f := range da.Features {
			if f.Line == 0 {
				missing = append(missing, f.Feature.ID)
			}
		}
		if len(missing) > 0 {
			return false, fmt.Sprintf("docs page %s has no section for %s", d.Docs, strings.Join(missing, ", "))
		}
		return true, "docs page " + d.Docs
	case matrix.RequireSettings:
		switch {
		case !d.SettingsDeclared:
			return false, "no tested settings stated in the matrix (write `settings: []` if it is tested on its defaults)"
		case len(d.Settings) == 0:
			return true, "tested on the distribution's defaults (settings: [])"
		case da.Page == nil:
			return false, "no docs page to list the tested settings"
		case da.SettingsLine == 0:
			return false, fmt.Sprintf("docs page %s has no %q section", d.Docs, SettingsHeading)
		}
		var missing []string
		for _, s := range da.Settings {
			if s.Line == 0 {
				missing = append(missing, strconv.Quote(s.Setting.Text))
			}
		}
		if len(missing) > 0 {
			return false, fmt.Sprintf("docs page %s does not list %s", d.Docs, strings.Join(missing, ", "))
		}
		return true, fmt.Sprintf("%d tested %s listed", len(d.Settings), words.Plural("setting", len(d.Settings)))
	case matrix.RequirePermanentCluster:
		if d.Cluster.Type != matrix.ClusterPermanent {
			return false, fmt.Sprintf("the cluster is %s, not permanent", d.Cluster.Type)
		}
		return true, "permanent cluster"
	}
	return false, fmt.Sprintf("unknown requirement %q", name)
}

// Has reports whether the distribution's tier requires r.
func (da *DistAudit) Has(r string) bool {
	for _, x := range da.Requires {
		if x == r {
			return true
		}
	}
	return false
}

// DefaultRoot returns the directory a matrix file's docs paths are relative
// to: the parent of the matrix/ directory the file sits in, else the
// nearest enclosing directory holding .git, else the current directory.
func DefaultRoot(matrixPath string) string {
	dir := filepath.Dir(matrixPath)
	if filepath.Base(dir) == "matrix" {
		return filepath.Dir(dir)
	}
	for d := dir; ; d = filepath.Join(d, "..") {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		abs, err := filepath.Abs(d)
		if err != nil || filepath.Dir(abs) == abs {
			return "."
		}
	}
}

// Inspect reads each distribution's docs page under root and records what
// it covers. Every distribution is inspected, whatever its tier, so that
// PROGRAM.md can show what a community distribution lacks; problems are
// raised only for the requirements of the distribution's own tier.
//
// An empty root stands for DefaultRoot(m.File).
func Inspect(m *matrix.Matrix, root string) *Audit {
	return inspect(matrix.Expand(m), root)
}

func inspect(plan *matrix.Plan, root string) *Audit {
	m := plan.Matrix
	if root == "" {
		root = DefaultRoot(m.File)
	}
	a := &Audit{Matrix: m, Root: root}
	runs := featuresRun(plan)
	// The pages are read inside the repository only: os.Root refuses a
	// path or symlink that leaves root (docs/x.md -> /etc/passwd), and
	// readPage bounds what it reads (docs/x.md -> /dev/zero).
	repo, rootErr := os.OpenRoot(root)
	if rootErr == nil {
		defer repo.Close()
	}
	for _, d := range m.Distributions {
		da := &DistAudit{Distribution: d, Requires: Requirements(m, d.Tier)}
		for _, f := range m.Features {
			if runs[d.ID][f.ID] {
				da.Features = append(da.Features, FeatureDoc{Feature: f})
			}
		}
		for _, s := range d.Settings {
			da.Settings = append(da.Settings, SettingDoc{Setting: s})
		}
		da.readPage(repo, rootErr, root)
		if da.Page != nil {
			da.findFeatures()
			da.findSettings()
		}
		da.check(m, a)
		a.Distributions = append(a.Distributions, da)
	}
	return a
}

// featuresRun maps distribution id → feature id → whether some cell of
// that pair is not excluded.
func featuresRun(plan *matrix.Plan) map[string]map[string]bool {
	out := make(map[string]map[string]bool, len(plan.Matrix.Distributions))
	for _, c := range plan.Cells {
		if c.Excluded() {
			continue
		}
		if out[c.Distribution.ID] == nil {
			out[c.Distribution.ID] = make(map[string]bool)
		}
		out[c.Distribution.ID][c.Feature.ID] = true
	}
	return out
}

// readPage reads and parses the docs page, or records why there is none.
// It reads through repo (nil when the root could not be opened: rootErr
// says why), so the page is a regular file inside the repository, and at
// most MaxPageSize bytes of it.
func (da *DistAudit) readPage(repo *os.Root, rootErr error, root string) {
	d := da.Distribution
	if d.Docs == "" {
		da.PageMissing = "the matrix names no docs page"
		return
	}
	da.PagePath = filepath.Join(root, filepath.FromSlash(d.Docs))
	name := path.Clean(filepath.ToSlash(d.Docs))
	if filepath.IsAbs(d.Docs) || !fs.ValidPath(name) {
		da.PageMissing = fmt.Sprintf("docs path %q is not a relative path inside the repository", d.Docs)
		return
	}
	if rootErr != nil {
		da.PageMissing = fmt.Sprintf("read %s: %v", da.PagePath, unwrapPath(rootErr))
		return
	}
	data, err := readBounded(repo, name, MaxPageSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		da.PageMissing = fmt.Sprintf("%s does not exist", da.PagePath)
	case errors.Is(err, errTooLarge):
		da.PageMissing = fmt.Sprintf("%s is larger than %d MiB", da.PagePath, MaxPageSize>>20)
	case err != nil:
		da.PageMissing = fmt.Sprintf("read %s: %v", da.PagePath, unwrapPath(err))
	default:
		da.Page = ParsePage(da.PagePath, data)
	}
}

// errTooLarge says a page is over MaxPageSize.
var errTooLarge = errors.New("too large")

// readBounded reads the regular file name inside repo, refusing anything
// else (a device, a FIFO, a directory) and more than limit bytes, so a
// symlink to /dev/zero or a huge file cannot exhaust memory.
func readBounded(repo *os.Root, name string, limit int64) ([]byte, error) {
	// Stat before opening: opening a FIFO for reading blocks until a
	// writer comes.
	st, err := repo.Stat(filepath.FromSlash(name))
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", st.Mode().Type())
	}
	if st.Size() > limit {
		return nil, errTooLarge
	}
	f, err := repo.Open(filepath.FromSlash(name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errTooLarge
	}
	return data, nil
}

// unwrapPath drops the *fs.PathError wrapper, whose path the message
// already names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// findFeatures finds each feature's section, or the near miss that shows
// what to change.
func (da *DistAudit) findFeatures() {
	p := da.Page
	for i := range da.Features {
		fd := &da.Features[i]
		want := FeatureAnchor(fd.Feature.ID)
		for _, a := range p.Anchors {
			if a.ID != want && !slices.Contains(misspelt(fd.Feature.ID), a.ID) {
				continue
			}
			aboveSection := a.Heading >= 0 && p.Headings[a.Heading].Level >= 2
			if a.ID == want && aboveSection && (a.Kind == AnchorStandalone || a.Kind == AnchorAttribute) {
				fd.Line, fd.Hint, fd.HintLine = a.Line, "", 0
				break
			}
			if fd.HintLine != 0 {
				continue
			}
			fd.HintLine = a.Line
			switch {
			case a.ID != want:
				fd.Hint = fmt.Sprintf("the anchor %q is not the feature id; write <a id=%q></a>", a.ID, want)
			case a.Kind == AnchorInline:
				fd.Hint = fmt.Sprintf("the anchor shares its line with other text; put <a id=%q></a> on its own line directly above the heading", want)
			case a.Heading < 0:
				fd.Hint = "the anchor is not directly above a heading (the next non-blank line must be ## or deeper)"
			default:
				fd.Hint = "the anchor is above a level-1 heading; feature sections are ## or deeper"
			}
		}
		if fd.Line == 0 && fd.HintLine == 0 {
			for _, h := range p.Headings {
				if strings.EqualFold(h.Text, fd.Feature.Name) {
					fd.HintLine = h.Line
					fd.Hint = fmt.Sprintf("the heading has the feature's name but no anchor; put <a id=%q></a> on its own line above it", want)
					break
				}
			}
		}
	}
}

// findSettings finds the tested-settings section and each setting in it.
func (da *DistAudit) findSettings() {
	p := da.Page
	var section *Heading
	for i := range p.Headings {
		if h := &p.Headings[i]; h.Level == 2 && h.Text == SettingsHeading {
			section = h
			break
		}
	}
	if section == nil {
		return
	}
	da.SettingsLine = section.Line
	end := 1 << 30
	for _, h := range p.Headings {
		if h.Line > section.Line && h.Level <= 2 {
			end = h.Line
			break
		}
	}
	var items []ListItem
	for _, it := range p.ListItems {
		if it.Line > section.Line && it.Line < end {
			items = append(items, it)
		}
	}
	top := -1 // the indentation of the section's top-level items
	for _, it := range items {
		if top < 0 || it.Indent < top {
			top = it.Indent
		}
	}
	used := make(map[int]bool, len(items))
	for i := range da.Settings {
		sd := &da.Settings[i]
		for _, it := range items {
			if it.Indent == top && it.Text == strings.TrimSpace(sd.Setting.Text) {
				sd.Line = it.Line
				used[it.Line] = true
				break
			}
		}
	}
	for i := range da.Settings {
		sd := &da.Settings[i]
		if sd.Line > 0 {
			continue
		}
		want := looseForm(sd.Setting.Text)
		for _, it := range items {
			if it.Indent == top && !used[it.Line] && looseForm(it.Text) == want {
				sd.NearLine = it.Line
				used[it.Line] = true
				break
			}
		}
	}
	for _, it := range items {
		if it.Indent == top && !used[it.Line] {
			da.Extra = append(da.Extra, it)
		}
	}
}

// looseForm drops Markdown emphasis and code marks, case and spacing, to
// tell a setting listed with other formatting from one not listed at all.
func looseForm(s string) string {
	s = strings.NewReplacer("`", "", "*", "", "_", "").Replace(s)
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// check records the gaps against the distribution's own tier.
func (da *DistAudit) check(m *matrix.Matrix, a *Audit) {
	d := da.Distribution
	elem := "distributions." + d.ID
	add := func(pos matrix.Pos, path, rule, format string, args ...any) {
		da.Problems = append(da.Problems, matrix.Problem{
			Pos: pos, Path: path, Rule: rule, Severity: matrix.Warning,
			Message: fmt.Sprintf(format, args...),
		})
	}
	at := func(line int) matrix.Pos { return matrix.Pos{File: da.PagePath, Line: max(line, 1), Column: 1} }
	docsLine := d.DocsPos
	if d.Docs == "" {
		docsLine = d.Pos
	}
	if (da.Has(matrix.RequireDocs) || da.Has(matrix.RequireSettings)) && da.Page == nil {
		if d.Docs == "" {
			add(d.Pos, elem, "docs-missing",
				"%s distribution has no docs page; add `docs: %s` and write the page as %s describes",
				d.Tier, a.PagePath(d.ID), a.conventionText())
		} else {
			add(d.DocsPos, elem+".docs", "docs-missing", "%s distribution's docs page: %s", d.Tier, da.PageMissing)
		}
	}
	if da.Has(matrix.RequireDocs) && da.Page != nil {
		for _, f := range da.Features {
			if f.Line > 0 {
				continue
			}
			msg := fmt.Sprintf("no section for feature area %s (%s), which the matrix runs on %s (page named at %s); put <a id=%q></a> on its own line above its heading",
				f.Feature.ID, f.Feature.Name, d.ID, short(docsLine), FeatureAnchor(f.Feature.ID))
			if f.HintLine > 0 {
				msg = fmt.Sprintf("feature area %s (%s) has no valid section: %s", f.Feature.ID, f.Feature.Name, f.Hint)
			}
			add(at(f.HintLine), elem+".docs", "docs-feature", "%s", msg)
		}
	}
	// `settings: []` says the clusters run the distribution's defaults: the
	// requirement is met and there is nothing for the page to list.
	if da.Has(matrix.RequireSettings) {
		if !d.SettingsDeclared {
			add(d.Pos, elem, "settings-missing",
				"%s distribution states no tested settings; add `settings:` with each way the test clusters differ from %s's defaults, or `settings: []` if they run the defaults",
				d.Tier, d.Name)
		}
		if da.Page != nil && da.SettingsLine == 0 && len(d.Settings) > 0 {
			msg := fmt.Sprintf("no %q section; add a level-2 heading `## %s` listing each of %s's matrix settings verbatim, one list item each",
				SettingsHeading, SettingsHeading, d.ID)
			line := 1
			for _, h := range da.Page.Headings {
				if strings.EqualFold(h.Text, SettingsHeading) {
					line = h.Line
					msg = fmt.Sprintf("the %q section must be exactly `## %s` (level 2, that spelling)", SettingsHeading, SettingsHeading)
					break
				}
			}
			add(at(line), elem+".docs", "docs-settings", "%s", msg)
		}
		if da.Page != nil && da.SettingsLine > 0 {
			for _, s := range da.Settings {
				switch {
				case s.Line > 0:
				case s.NearLine > 0:
					add(s.Setting.Pos, elem+".settings", "docs-settings",
						"tested setting %q is listed differently at %s:%d; the list item must be the setting verbatim", s.Setting.Text, da.PagePath, s.NearLine)
				default:
					add(s.Setting.Pos, elem+".settings", "docs-settings",
						"tested setting %q is not listed in the %q section of %s:%d", s.Setting.Text, SettingsHeading, da.PagePath, da.SettingsLine)
				}
			}
			for _, it := range da.Extra {
				add(at(it.Line), elem+".docs", "docs-settings",
					"%q is listed as a tested setting but the matrix does not list it (%s); add it to `settings:` or move the explanation under the setting it belongs to",
					it.Text, short(settingsPos(d)))
			}
		}
	}
	if da.Has(matrix.RequirePermanentCluster) && d.Cluster.Type != matrix.ClusterPermanent {
		add(d.Cluster.Pos, elem+".cluster", "permanent-cluster",
			"%s distribution runs on an %s cluster; %s support needs a permanent cluster (type: permanent, with a GitLab agent context per minor)",
			d.Tier, d.Cluster.Type, d.Tier)
	}
}

func settingsPos(d *matrix.Distribution) matrix.Pos {
	if len(d.Settings) > 0 {
		return d.Settings[0].Pos
	}
	return d.Pos
}

// short renders a position as file:line.
func short(p matrix.Pos) string { return fmt.Sprintf("%s:%d", p.File, p.Line) }
