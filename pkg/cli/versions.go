package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/internal/words"
	"gitlab.com/supportmatrix/supportmatrix/pkg/kube"
	"gitlab.com/supportmatrix/supportmatrix/pkg/program"
)

func versionsCommand() *cli.Command {
	return &cli.Command{
		Name:        "versions",
		Usage:       "the upstream Kubernetes calendar and each distribution's vendor lifecycle, against the matrix",
		UsageText:   "supportmatrix versions [--matrix F] [--check] [--sync] [--date YYYY-MM-DD] [--format text|json] [--catalog F] [--lifecycles F] [--refresh [--url U] [--endoflife U]]",
		Description: helpText("versions"),
		Flags: []cli.Flag{
			matrixFlag(),
			&cli.BoolFlag{Name: "check", Usage: fmt.Sprintf("exit %d when the matrix or a distribution's range drifts from the upstream or vendor calendar", ExitInvalid), EnvVars: []string{"SUPPORTMATRIX_VERSIONS_CHECK"}},
			&cli.BoolFlag{Name: "sync", Usage: "rewrite the matrix file's minors: kubernetes.versions (gaps filled), each distribution's range and release names from its lifecycle", EnvVars: []string{"SUPPORTMATRIX_VERSIONS_SYNC"}},
			&cli.StringFlag{Name: "date", Usage: "the `YYYY-MM-DD` that stands in for today", EnvVars: []string{"SUPPORTMATRIX_DATE"}},
			&cli.StringFlag{Name: "format", Usage: "output `FORMAT`: " + words.OneOf(program.VersionsFormats), Value: program.VersionsFormats[0], EnvVars: []string{"SUPPORTMATRIX_VERSIONS_FORMAT"}},
			&cli.StringFlag{Name: "catalog", Usage: "read the release catalog from `FILE` instead of the embedded one (with --refresh: write it there)", EnvVars: []string{"SUPPORTMATRIX_CATALOG"}},
			&cli.BoolFlag{Name: "refresh", Usage: "fetch the release cycles from --url into --catalog (and the vendors' from --endoflife into --lifecycles) first", EnvVars: []string{"SUPPORTMATRIX_CATALOG_REFRESH"}},
			&cli.StringFlag{Name: "url", Usage: "the endoflife.date-shaped `URL` --refresh fetches", Value: kube.DefaultSource, EnvVars: []string{"SUPPORTMATRIX_CATALOG_URL"}},
			&cli.StringFlag{Name: "lifecycles", Usage: "read the vendor lifecycles from `FILE` instead of the embedded ones (with --refresh: refresh and write it)", EnvVars: []string{"SUPPORTMATRIX_LIFECYCLES"}},
			&cli.StringFlag{Name: "endoflife", Usage: "the endoflife.date-shaped site (`URL`) --refresh reads vendor lifecycles from (API v1)", Value: kube.DefaultEndOfLife, EnvVars: []string{"SUPPORTMATRIX_ENDOFLIFE_URL"}},
		},
		Action: func(c *cli.Context) error {
			return runVersions(c, c.String("format"), c.Bool("check"), program.VersionsOptions{
				Matrix: c.String("matrix"), Sync: c.Bool("sync"), Catalog: c.String("catalog"),
				Date: c.String("date"), Now: envOf(c).now,
				Refresh: c.Bool("refresh"), URL: c.String("url"), Log: c.App.ErrWriter,
				Lifecycles: c.String("lifecycles"), EndOfLife: c.String("endoflife"),
			})
		},
	}
}

func runVersions(c *cli.Context, format string, check bool, o program.VersionsOptions) error {
	if err := program.CheckFormat(format, program.VersionsFormats); err != nil {
		return err
	}
	report, err := program.Versions(c.Context, o)
	if err != nil {
		return err
	}
	if err := program.WriteVersions(c.App.Writer, report, format); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if failing := report.Failing(); check && len(failing) > 0 {
		return Invalid(fmt.Errorf("versions check failed: %d finding(s) in %s; run supportmatrix versions --sync, or declare kept minors in kubernetes.extended", len(failing), o.Matrix))
	}
	return nil
}
