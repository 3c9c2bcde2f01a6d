package program

import (
	"crypto/sha256"
	"encoding/hex"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

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
