package cli

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/pkg/kube"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// versionsFetchTimeout bounds a --refresh download, so that a scheduled job
// never hangs on an unreachable endoflife.date.
const versionsFetchTimeout = 30 * time.Second

// versionsOptions is everything the versions command reads from its flags.
type versionsOptions struct {
	Matrix  string
	Check   bool
	Sync    bool
	Date    string // YYYY-MM-DD; "" for today
	Format  string
	Catalog string // a catalog file instead of the embedded one
	Refresh bool
	URL     string
}

func versionsCommand() *cli.Command {
	return &cli.Command{
		Name:      "versions",
		Usage:     "upstream Kubernetes minors with release and end-of-life dates, against the matrix",
		UsageText: "supportmatrix versions [--matrix F] [--check] [--sync] [--date YYYY-MM-DD] [--format text|json] [--catalog F [--refresh [--url U]]]",
		Description: `Upstream Kubernetes ships about three minors a year and supports the newest
three for about fourteen months each. A support program drifts when nobody
notices a minor ending or a new one arriving. supportmatrix embeds a catalog of
upstream minors (1.27 on) with their release and end-of-life dates and holds
kubernetes.versions to it.

The table lists every minor with its dates, whether the matrix tests it and its
status on the day: supported, end of life, upcoming, or "extended: REASON" for
an ended minor the matrix keeps on purpose:

   kubernetes:
     versions: ["1.34", "1.35", "1.36", "1.37"]
     extended:
       "1.34": EKS extended support until 2027-12-02
     adopt_within: 90d   # the default

--check exits 1 when the matrix
  - tests a minor past its upstream end of life that kubernetes.extended does
    not declare, or
  - lacks a supported minor released longer ago than kubernetes.adopt_within.
A minor newer than the catalog and an extended entry for a supported minor are
notes, not failures. validate shows the same findings as warnings.

--sync rewrites kubernetes.versions in the matrix file in place: it adds the
supported minors the list lacks (as soon as they are released) and drops the
ended ones not declared extended. Comments, key order, quoting and the rest of
the file stay byte for byte, so a scheduled job can open a merge request with
the diff. The file is replaced atomically, and only when the result is a valid
matrix.

--date stands in for today (for reproducible runs and to look ahead):
   supportmatrix versions --check --date 2026-11-22
   supportmatrix versions --sync && git diff matrix/matrix.yaml

The embedded catalog is refreshed from endoflife.date when a network is there:
   supportmatrix versions --refresh --catalog pkg/kube/catalog.json   # make refresh-versions
--catalog F alone reads a catalog file instead of the embedded one, so a job can
use fresh dates without a new release of the tool.`,
		Flags: []cli.Flag{
			matrixFlag(),
			&cli.BoolFlag{Name: "check", Usage: "exit 1 when the matrix tests an ended minor or lacks a supported one past the grace period", EnvVars: []string{"SUPPORTMATRIX_VERSIONS_CHECK"}},
			&cli.BoolFlag{Name: "sync", Usage: "rewrite kubernetes.versions in the matrix file: add supported minors, drop ended ones not declared extended", EnvVars: []string{"SUPPORTMATRIX_VERSIONS_SYNC"}},
			&cli.StringFlag{Name: "date", Usage: "the `YYYY-MM-DD` that stands in for today", EnvVars: []string{"SUPPORTMATRIX_DATE"}},
			&cli.StringFlag{Name: "format", Usage: "output `FORMAT`: text or json", Value: "text", EnvVars: []string{"SUPPORTMATRIX_VERSIONS_FORMAT"}},
			&cli.StringFlag{Name: "catalog", Usage: "read the release catalog from `FILE` instead of the embedded one (with --refresh: write it there)", EnvVars: []string{"SUPPORTMATRIX_CATALOG"}},
			&cli.BoolFlag{Name: "refresh", Usage: "fetch the release cycles from --url and write them to --catalog first", EnvVars: []string{"SUPPORTMATRIX_CATALOG_REFRESH"}},
			&cli.StringFlag{Name: "url", Usage: "the endoflife.date-shaped `URL` --refresh fetches", Value: kube.DefaultSource, EnvVars: []string{"SUPPORTMATRIX_CATALOG_URL"}},
		},
		Action: func(c *cli.Context) error {
			return runVersions(c, versionsOptions{
				Matrix:  c.String("matrix"),
				Check:   c.Bool("check"),
				Sync:    c.Bool("sync"),
				Date:    c.String("date"),
				Format:  c.String("format"),
				Catalog: c.String("catalog"),
				Refresh: c.Bool("refresh"),
				URL:     c.String("url"),
			})
		},
	}
}

func runVersions(c *cli.Context, o versionsOptions) error {
	if o.Format != "text" && o.Format != "json" {
		return Usage(fmt.Errorf("--format %q: want text or json", o.Format))
	}
	// The one place the clock is read; --date makes runs reproducible.
	today := envOf(c).now()
	if o.Date != "" {
		d, err := kube.ParseDate(o.Date)
		if err != nil {
			return Usage(fmt.Errorf("--date: %w", err))
		}
		today = d
	}

	var catalog *kube.Catalog
	if o.Refresh {
		if o.Catalog == "" {
			return Usage(errors.New("--refresh needs --catalog FILE to write the fetched catalog to (pkg/kube/catalog.json for the embedded one)"))
		}
		cat, changed, err := kube.RefreshFile(c.Context, &http.Client{Timeout: versionsFetchTimeout}, o.URL, o.Catalog)
		if err != nil {
			return Invalid(err)
		}
		state := "unchanged"
		if changed {
			state = "updated"
		}
		fmt.Fprintf(c.App.ErrWriter, "%s: %s, %d minors from %s\n", o.Catalog, state, len(cat.Releases), o.URL)
		catalog = cat
	} else {
		cat, err := kube.LoadCatalog(o.Catalog)
		if err != nil {
			return Invalid(err)
		}
		catalog = cat
	}

	m, changes, err := versionsMatrix(o, catalog, today)
	if err != nil {
		return Invalid(err)
	}
	report := catalog.Report(m, today)
	report.Changes = changes
	if o.Format == "json" {
		err = report.WriteJSON(c.App.Writer)
	} else {
		err = report.WriteText(c.App.Writer)
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if failing := report.Failing(); o.Check && len(failing) > 0 {
		return Invalid(fmt.Errorf("versions check failed: %d finding(s) in %s; run supportmatrix versions --sync, or declare kept minors in kubernetes.extended", len(failing), o.Matrix))
	}
	return nil
}

// versionsMatrix loads the matrix, syncing the file first under --sync.
func versionsMatrix(o versionsOptions, catalog *kube.Catalog, today time.Time) (*matrix.Matrix, []string, error) {
	if o.Sync {
		return kube.SyncFile(o.Matrix, catalog, today)
	}
	m, err := matrix.Load(o.Matrix)
	return m, nil, err
}
