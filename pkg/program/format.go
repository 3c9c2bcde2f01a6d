package program

import (
	"io"
	"slices"

	"gitlab.com/supportmatrix/supportmatrix/internal/words"
	"gitlab.com/supportmatrix/supportmatrix/pkg/kube"
)

// The --format values of the commands that print a report, each list the
// one definition the command's check, its writer and its help use; the
// first is the default.
var (
	ValidateFormats = []string{"text", "json", "codequality"}
	PlanFormats     = []string{"text", "json", "markdown"}
	VersionsFormats = []string{"text", "json"}
)

// CheckFormat refuses a --format value that is not one of formats (a
// usage error naming them), before a command does any work.
func CheckFormat(format string, formats []string) error {
	if slices.Contains(formats, format) {
		return nil
	}
	return usagef("--format %q: use %s", format, words.OneOf(formats))
}

// Write writes the result in format, one of ValidateFormats.
func (r *ValidateResult) Write(w io.Writer, format string) error {
	switch format {
	case "json":
		return r.WriteJSON(w)
	case "codequality":
		return r.WriteCodeQuality(w)
	case "text":
		return r.WriteText(w)
	}
	return CheckFormat(format, ValidateFormats)
}

// Write writes the plan in format, one of PlanFormats.
func (r *PlanResult) Write(w io.Writer, format string) error {
	switch format {
	case "json":
		return r.WriteJSON(w)
	case "markdown":
		_, err := w.Write(r.Markdown())
		return err
	case "text":
		return r.WriteText(w)
	}
	return CheckFormat(format, PlanFormats)
}

// WriteVersions writes the versions report in format, one of
// VersionsFormats.
func WriteVersions(w io.Writer, r *kube.Report, format string) error {
	switch format {
	case "json":
		return r.WriteJSON(w)
	case "text":
		return r.WriteText(w)
	}
	return CheckFormat(format, VersionsFormats)
}
