package program

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gitlab.com/supportmatrix/supportmatrix/internal/atomicfile"
	"gitlab.com/supportmatrix/supportmatrix/pkg/alert"
	"gitlab.com/supportmatrix/supportmatrix/pkg/docs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/render"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// RenderFormats are the formats Render writes.
var RenderFormats = []string{"markdown", "json", "html", "badges", "digest", "openmetrics", "run", "junit"}

// RenderOptions are what `render` reads.
type RenderOptions struct {
	Matrix  string
	Results string
	Format  string // one of RenderFormats
	Out     string // "" returns the bytes; a directory for badges
	Now     string // RFC 3339; "" is the newest finish time in the results
	// Since is when the last digest was (RFC 3339): the digest lists the
	// level changes after it; "" is report.DefaultDigestPeriod before the
	// time the levels are judged at. Digest only.
	Since string
	// LevelLog is the level log the digest reads; "" is report.LogFile
	// beside Results (matrix/levels.log, or a local run's). Digest only.
	LevelLog string
	Root     string
	// Plan is a file with plan's Markdown, which the run format puts
	// before the results ("" says none was given). Run only.
	Plan string
	Log  io.Writer // notes
}

// Render computes the table from the matrix and the history and returns it
// (Out empty) or writes it atomically to Out; a markdown table gets the
// program document (PROGRAM.md) next to it. A failure never truncates an
// existing table.
func Render(o RenderOptions) ([]byte, error) {
	if err := CheckFormat(o.Format, RenderFormats); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	if o.Format != "digest" && (o.Since != "" || o.LevelLog != "") {
		return nil, usagef("render: --since and --levels-log are for --format digest")
	}
	if o.Plan != "" && o.Format != "run" {
		return nil, usagef("render: --plan goes with --format run")
	}
	if o.Format == "badges" && o.Out == "" {
		return nil, usagef("render: --format badges writes one file per distribution: give --out DIR")
	}
	if err := outputNotInput(o); err != nil {
		return nil, err
	}
	if RunFormat(o.Format) {
		return renderRun(o)
	}
	now, err := parseNow("render", o.Now)
	if err != nil {
		return nil, err
	}
	since, err := parseTime("render", "--since", o.Since)
	if err != nil {
		return nil, err
	}
	m, err := matrix.Load(o.Matrix)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(o.Results); errors.Is(err, fs.ErrNotExist) {
		// A mistyped path must not render an all-untested table.
		// The default may sit at the repository root found from a
		// subdirectory: it is still the default.
		if p := filepath.ToSlash(filepath.Clean(o.Results)); p != DefaultResults && !strings.HasSuffix(p, "/"+DefaultResults) {
			return nil, fmt.Errorf("render: --results %s: no such file", o.Results)
		}
		if o.Log != nil {
			fmt.Fprintf(o.Log, "supportmatrix: note: %s does not exist yet (no run collected): rendering an empty history\n", o.Results)
		}
	}
	hist, err := results.Read(o.Results)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	root, err := rootDir(o.Root, o.Matrix)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	rep, audit := buildReport(m, hist, root, now, localOnly(hist))
	if o.Format == "badges" {
		return nil, writeBadges(o.Out, render.Badges(rep))
	}
	var out []byte
	switch o.Format {
	case "markdown":
		out = render.Markdown(rep)
	case "json":
		out = render.JSON(rep)
	case "html":
		out = render.HTML(rep)
	case "openmetrics":
		out = render.OpenMetrics(rep)
	case "digest":
		entries, err := readLevelLog(o)
		if err != nil {
			return nil, err
		}
		// The open alerts as pkg/alert judges them for publish --alerts,
		// at the same time as the levels.
		alerts := alert.ForDigest(alert.Evaluate(m, hist, rep, rep.Now))
		out = render.Digest(report.BuildDigest(rep, entries, since, alerts))
	}
	if o.Out == "" {
		return out, nil
	}
	if err := atomicfile.Write(o.Out, out); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	if o.Format == "markdown" {
		// The program document goes next to the table, linked from it.
		program := filepath.Join(filepath.Dir(o.Out), docs.ProgramFile)
		if err := atomicfile.Write(program, docs.Program(audit, rep, docsOptions(root, o.Out))); err != nil {
			return nil, fmt.Errorf("render: %w", err)
		}
	}
	return nil, nil
}

// readLevelLog reads the level log the digest lists changes from: --levels-log,
// or levels.log beside --results, which may not exist yet (no publish so
// far: an empty log, with a note). A log that cannot be read is an error
// naming it.
func readLevelLog(o RenderOptions) ([]report.LogEntry, error) {
	path := levelLogPath(o)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && o.LevelLog == "":
		if o.Log != nil {
			fmt.Fprintf(o.Log, "supportmatrix: note: %s does not exist yet (nothing published): the digest lists no logged level change\n", path)
		}
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("render: --levels-log: %w", err)
	}
	entries, err := report.ParseLog(path, data)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	return entries, nil
}

// levelLogPath is the level log the digest reads.
func levelLogPath(o RenderOptions) string {
	if o.LevelLog != "" {
		return o.LevelLog
	}
	return filepath.Join(filepath.Dir(o.Results), report.LogFile)
}

// RunFormat reports whether format renders one run (run, junit) rather
// than the table: it reads no matrix.
func RunFormat(format string) bool { return format == "run" || format == "junit" }

// renderRun writes the newest run of the results file (a child's
// self-report collects one) for reviewers: as Markdown with the plan, or as
// a JUnit report of one case per cell. Neither judges levels nor reads the
// matrix. The results file must exist: a report of nothing collected would
// hide that collect failed.
func renderRun(o RenderOptions) ([]byte, error) {
	if _, err := os.Stat(o.Results); err != nil {
		return nil, fmt.Errorf("render --format %s: --results %s: %w", o.Format, o.Results, err)
	}
	hist, err := results.Read(o.Results)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	var run *results.Run
	if len(hist.Runs) > 0 {
		run = &hist.Runs[0] // newest first
	}
	var out []byte
	if o.Format == "junit" {
		out = render.RunJUnit(run)
	} else {
		plan := ""
		if o.Plan != "" {
			data, err := os.ReadFile(o.Plan)
			if err != nil {
				return nil, fmt.Errorf("render: --plan: %w", err)
			}
			plan = string(data)
		}
		out = render.RunMarkdown(plan, run)
	}
	if o.Out == "" {
		return out, nil
	}
	if err := os.MkdirAll(filepath.Dir(o.Out), 0o755); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	if err := atomicfile.Write(o.Out, out); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	return nil, nil
}

// writeBadges writes each badge atomically into dir, creating it.
func writeBadges(dir string, badges []render.BadgeFile) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("render: badges directory: %w", err)
	}
	for _, b := range badges {
		if err := atomicfile.Write(filepath.Join(dir, b.Name), b.Data); err != nil {
			return fmt.Errorf("render: badge: %w", err)
		}
	}
	return nil
}

// docsOptions places a document written to out ("" for standard output,
// whose links are relative to matrix/) for its links.
func docsOptions(root, out string) docs.Options {
	if out == "" {
		return docs.Options{}
	}
	ar, err1 := filepath.Abs(root)
	ad, err2 := filepath.Abs(filepath.Dir(out))
	if err1 != nil || err2 != nil {
		return docs.Options{}
	}
	rel, err := filepath.Rel(ar, ad)
	if err != nil {
		return docs.Options{}
	}
	return docs.Options{Dir: filepath.ToSlash(rel)}
}

// outputNotInput refuses an --out (or the PROGRAM.md written beside a
// markdown table) that is one of render's inputs: `render --out
// matrix/results.json` would otherwise replace the history with a table.
func outputNotInput(o RenderOptions) error {
	if o.Out == "" || o.Format == "badges" {
		return nil
	}
	outs := []string{o.Out}
	if o.Format == "markdown" {
		outs = append(outs, filepath.Join(filepath.Dir(o.Out), docs.ProgramFile))
	}
	for _, out := range outs {
		for _, in := range []struct{ flag, path string }{{"--matrix", o.Matrix}, {"--results", o.Results}, {"--levels-log", levelLogPath(o)}, {"--plan", o.Plan}} {
			if in.path != "" && samePath(out, in.path) {
				return usagef("render: %s would overwrite the %s input %s: write the table elsewhere", out, in.flag, in.path)
			}
		}
	}
	return nil
}

// samePath says a and b name one file: the same file on disk (hard links
// and symlinks included), or the same clean absolute path.
func samePath(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(sa, sb)
	}
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}
