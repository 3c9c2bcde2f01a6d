package program

import (
	"fmt"

	"gitlab.com/supportmatrix/supportmatrix/internal/atomicfile"
	"gitlab.com/supportmatrix/supportmatrix/pkg/docs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// DocsOptions are what `docs` reads: exactly one of Check, Explain and
// Program.
type DocsOptions struct {
	Matrix  string
	Root    string
	Results string
	Check   bool
	Explain string // a distribution id
	Program bool
	Out     string // with Program: the file to write; "" returns the bytes
}

// DocsResult is what docs found or wrote.
type DocsResult struct {
	// Gaps are the documentation gaps (Check).
	Gaps matrix.Problems
	// WithRequirements counts the distributions whose tier requires
	// anything (Check).
	WithRequirements int
	// Text is the explanation or the program document, unless written to
	// Out.
	Text []byte
}

// Docs checks the program's documentation requirements, explains one
// distribution's path to official support, or writes PROGRAM.md.
func Docs(o DocsOptions) (*DocsResult, error) {
	modes := 0
	for _, on := range []bool{o.Check, o.Explain != "", o.Program} {
		if on {
			modes++
		}
	}
	if modes != 1 {
		return nil, usagef("docs: give exactly one of --check, --explain ID, --program")
	}
	if o.Out != "" && !o.Program {
		return nil, usagef("docs: --out goes with --program")
	}
	m, err := matrix.Load(o.Matrix)
	if err != nil {
		return nil, err
	}
	root, err := rootDir(o.Root, o.Matrix)
	if err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	if o.Check {
		audit := docs.Inspect(m, root)
		r := &DocsResult{Gaps: audit.Problems()}
		for _, d := range audit.Distributions {
			if len(d.Requires) > 0 {
				r.WithRequirements++
			}
		}
		return r, nil
	}
	hist, err := results.Read(o.Results)
	if err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	rep, audit := docs.BuildReport(m, hist, root, report.Options{})
	opts := docsOptions(root, o.Out)
	if o.Explain != "" {
		out, err := docs.Explain(audit, rep, o.Explain, opts)
		if err != nil {
			return nil, usage(withSuggestion(err, o.Explain, m))
		}
		return &DocsResult{Text: out}, nil
	}
	out := docs.Program(audit, rep, opts)
	if o.Out == "" {
		return &DocsResult{Text: out}, nil
	}
	if err := atomicfile.Write(o.Out, out); err != nil {
		return nil, fmt.Errorf("docs: write %s: %w", o.Out, err)
	}
	return &DocsResult{}, nil
}

// withSuggestion adds "did you mean" to an unknown distribution id, with
// the matrix's own suggestion rule.
func withSuggestion(err error, id string, m *matrix.Matrix) error {
	if hint := m.SuggestDistribution(id); hint != "" {
		return fmt.Errorf("%w%s", err, hint)
	}
	return err
}
