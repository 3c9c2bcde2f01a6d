package cli

import (
	"embed"
	"fmt"
	"strings"
	"text/template"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/alert"
	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
	"gitlab.com/supportmatrix/supportmatrix/pkg/kube"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/program"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// helpValues are the defaults and limits the help texts state, by the name
// a help file writes them with ({{.LocalOut}}), each read from its owner:
// the help is filled from the code, so it cannot drift from it. The
// README and docs/, which are not generated, are held to the same values
// by TestDocumentsStateOwnedValues.
func helpValues() map[string]any {
	return map[string]any{
		// run --local's files and the gitlab-ci-local it rehearses with.
		"LocalOut":         program.DefaultLocalOut,
		"LocalPipelineDir": program.LocalPipelineDir,
		"LocalResults":     program.LocalResults,
		"LocalTable":       program.LocalTable,
		"LocalLevelLog":    program.LocalLevelLog,
		"LevelsLog":        program.DefaultLevelsLog,
		"Results":          program.DefaultResults,
		"GitLabCILocal":    localci.Version,
		// The history's bounds.
		"KeepCounting": results.KeepCounting,
		"KeepPreviews": results.KeepPreviews,
		// GitLab's limits on generated files, by version (sizes in MB, as
		// GitLab counts its YAML limit, 2^20 bytes).
		"SmallYAML":  cicheck.MaxYAMLSize(cicheck.Version{}) >> 20,
		"LargeYAML":  cicheck.MaxYAMLSize(cicheck.LargeYAML) >> 20,
		"LargeSince": cicheck.LargeYAML,
		"MirrorFrom": cicheck.MirrorStrategy,
		"Artifact":   cicheck.MaxArtifactArchive >> 20,
		// Policy and calendar defaults.
		"AlertAfter":   matrix.DefaultAlertAfter,
		"FlakyAbove":   matrix.DefaultFlakyAbove,
		"AdoptWithin":  matrix.DefaultAdoptWithin.Text,
		"WarnAhead":    inUnits(kube.WarnAhead, 24*time.Hour, "days"),
		"DigestPeriod": inUnits(report.DefaultDigestPeriod, 24*time.Hour, "days"),
		"IssueLabel":   alert.DefaultLabel,
		// The exit codes.
		"ExitOK":      ExitOK,
		"ExitInvalid": ExitInvalid,
		"ExitUsage":   ExitUsage,
		"ExitAPI":     ExitAPI,
	}
}

// fillHelp fills the help file name with helpValues; a name the values
// lack is a build mistake, which TestHelpTeaches catches.
func fillHelp(name, text string) string {
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err == nil {
		var b strings.Builder
		if err = t.Execute(&b, helpValues()); err == nil {
			return b.String()
		}
	}
	panic("cli: help/" + name + ".txt: " + err.Error())
}

// inUnits writes d as a whole number of units ("30 days"), or as Go
// writes it when it is not one.
func inUnits(d, unit time.Duration, name string) string {
	if d%unit != 0 {
		return d.String()
	}
	return fmt.Sprintf("%d %s", d/unit, name)
}

// The commands' long help, one text file per command (help/NAME.txt), so
// that the help reads and diffs as the documentation it is; the defaults
// and limits it states are filled in from their owners (fillHelp).
//
//go:embed help/*.txt
var helpFiles embed.FS

// helpText returns the long help of the command name.
func helpText(name string) string {
	data, err := helpFiles.ReadFile("help/" + name + ".txt")
	if err != nil {
		panic("cli: no help/" + name + ".txt") // a build mistake; TestHelpTeaches catches it
	}
	return strings.TrimSuffix(fillHelp(name, string(data)), "\n")
}
