package program

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/internal/words"
	"gitlab.com/supportmatrix/supportmatrix/jobs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/kube"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/validate"
)

// ValidateOptions are what `validate` reads.
type ValidateOptions struct {
	// Matrix is the matrix file; Templates the job templates directory
	// ("" is the embedded set); Root the repository root docs paths are
	// relative to ("" is the matrix's).
	Matrix, Templates, Root string
	// Date (YYYY-MM-DD) stands in for today in the calendar checks; ""
	// is today by Now (nil is time.Now), at midnight UTC.
	Date string
	Now  func() time.Time
}

// ValidateResult is what Validate found in the matrix File.
type ValidateResult struct {
	File string
	*validate.Result
}

// Validate checks the matrix and its templates (pkg/validate) and returns
// every problem; the caller says how many are errors. An unreadable matrix
// or templates directory is an error, a bad Date a usage error.
func Validate(o ValidateOptions) (*ValidateResult, error) {
	today, err := today(o.Date, o.Now)
	if err != nil {
		return nil, err
	}
	data, err := matrix.ReadFile(o.Matrix)
	if err != nil {
		return nil, err
	}
	set, err := jobs.Open(o.Templates)
	if err != nil {
		return nil, err
	}
	res := validate.Matrix(validate.Options{File: o.Matrix, Data: data, Templates: set, Today: today, Root: o.Root})
	return &ValidateResult{File: o.Matrix, Result: res}, nil
}

// today is the day `validate` and `versions` read the calendar on: the
// --date given (kube.ParseDate), else the UTC day of the clock now (nil is
// time.Now), at midnight.
func today(date string, now func() time.Time) (time.Time, error) {
	if date != "" {
		d, err := kube.ParseDate(date)
		if err != nil {
			return time.Time{}, usagef("--date: %w", err)
		}
		return d, nil
	}
	if now == nil {
		now = time.Now
	}
	t := now().UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
}

// WriteText writes each problem on its own line and, when the matrix is
// valid, one line counting what it holds.
func (r *ValidateResult) WriteText(w io.Writer) error {
	for _, p := range r.Problems {
		if _, err := fmt.Fprintln(w, p.String()); err != nil {
			return err
		}
	}
	if r.Matrix == nil {
		return nil
	}
	m, plan := r.Matrix, r.Plan
	excluded := 0
	for _, c := range plan.Cells {
		if c.Excluded() {
			excluded++
		}
	}
	warnings := len(r.Problems.Warnings())
	_, err := fmt.Fprintf(w, "%s: valid: %d distributions, %d minors, %d features, %d cells (%d excluded), %d upgrade and %d skew cells, %d %s\n",
		r.File, len(m.Distributions), len(m.Kubernetes.Versions), len(m.Features), len(plan.Cells), excluded,
		len(plan.Upgrades), len(plan.Skews), warnings, words.Plural("warning", warnings))
	return err
}

// WriteJSON writes validate's JSON report (schema supportmatrix/validate/v1).
func (r *ValidateResult) WriteJSON(w io.Writer) error {
	return writeJSON(w, ValidateReport(r.Problems))
}

// WriteCodeQuality writes GitLab's Code Quality report of the problems.
func (r *ValidateResult) WriteCodeQuality(w io.Writer) error {
	return writeJSON(w, CodeQuality(r.Problems))
}

// writeJSON writes v indented, with a trailing newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// validate's reports for machines: its own JSON and GitLab's Code Quality.

type problemJSON struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"`
	Path     string `json:"path,omitempty"`
	Rule     string `json:"rule,omitempty"`
	Message  string `json:"message"`
}

type validateJSON struct {
	Schema   string        `json:"schema"`
	Valid    bool          `json:"valid"`
	Problems []problemJSON `json:"problems"`
}

// ValidateReport is validate's JSON report (schema supportmatrix/validate/v1).
func ValidateReport(probs matrix.Problems) any {
	out := validateJSON{Schema: "supportmatrix/validate/v1", Valid: len(probs.Errors()) == 0, Problems: []problemJSON{}}
	for _, p := range probs {
		out.Problems = append(out.Problems, problemJSON{File: p.Pos.File, Line: p.Pos.Line, Column: p.Pos.Column, Severity: p.Severity.String(), Path: p.Path, Rule: p.Rule, Message: p.Message})
	}
	return out
}

// codeQualityIssue is one entry of GitLab's Code Quality report (a subset of
// the Code Climate format that GitLab reads).
type codeQualityIssue struct {
	Description string              `json:"description"`
	CheckName   string              `json:"check_name"`
	Fingerprint string              `json:"fingerprint"`
	Severity    string              `json:"severity"`
	Location    codeQualityLocation `json:"location"`
}

type codeQualityLocation struct {
	Path  string           `json:"path"`
	Lines codeQualityLines `json:"lines"`
}

type codeQualityLines struct {
	Begin int `json:"begin"`
}

// CodeQuality is GitLab's Code Quality report of the problems, for the
// merge-request widget.
func CodeQuality(probs matrix.Problems) any {
	out := []codeQualityIssue{}
	for _, p := range probs {
		sev := "major"
		if p.Severity == matrix.Warning {
			sev = "minor"
		}
		desc := p.Message
		if p.Path != "" {
			desc = p.Path + ": " + p.Message
		}
		sum := sha256.Sum256([]byte(p.Pos.File + "\x00" + p.Path + "\x00" + p.Rule + "\x00" + p.Message))
		out = append(out, codeQualityIssue{
			Description: desc,
			CheckName:   "supportmatrix/" + ruleOr(p.Rule),
			Fingerprint: hex.EncodeToString(sum[:16]),
			Severity:    sev,
			Location:    codeQualityLocation{Path: p.Pos.File, Lines: codeQualityLines{Begin: p.Pos.Line}},
		})
	}
	return out
}

func ruleOr(rule string) string {
	if rule == "" {
		return "matrix"
	}
	return rule
}
