package program

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/kube"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// versionsFetchTimeout bounds a --refresh download, so that a scheduled job
// never hangs on an unreachable endoflife.date.
const versionsFetchTimeout = 30 * time.Second

// VersionsOptions are what `versions` reads.
type VersionsOptions struct {
	Matrix string
	Sync   bool
	// Date (YYYY-MM-DD) is the day the calendar is read on; "" is today
	// by Now (nil is time.Now), the UTC day, as validate reads it.
	Date    string
	Now     func() time.Time
	Catalog string // a catalog file instead of the embedded one
	Refresh bool
	URL     string
	// Lifecycles is a vendor lifecycle file instead of the embedded one;
	// EndOfLife the site Refresh reads the vendors' cycles from.
	Lifecycles, EndOfLife string
	Log                   io.Writer
}

// Versions reads the Kubernetes calendar (refreshing the catalog file
// first with Refresh) and reports it against the matrix, syncing the
// matrix's kubernetes.versions first with Sync.
func Versions(ctx context.Context, o VersionsOptions) (*kube.Report, error) {
	if o.Refresh && o.Catalog == "" {
		return nil, usage(errors.New("--refresh needs --catalog FILE to write the fetched catalog to (pkg/kube/catalog.json for the embedded one)"))
	}
	today, err := today(o.Date, o.Now)
	if err != nil {
		return nil, err
	}
	catalog, notes, err := kube.Calendars{
		Catalog: o.Catalog, Lifecycles: o.Lifecycles, Refresh: o.Refresh, URL: o.URL, EndOfLife: o.EndOfLife,
		Client: &http.Client{Timeout: versionsFetchTimeout},
	}.Load(ctx, today)
	if err != nil {
		return nil, err
	}
	for _, n := range notes {
		if o.Log != nil {
			fmt.Fprintln(o.Log, n)
		}
	}
	var (
		m       *matrix.Matrix
		changes []string
	)
	if o.Sync {
		m, changes, err = kube.SyncFile(o.Matrix, catalog, today)
	} else {
		m, err = matrix.Load(o.Matrix)
	}
	if err != nil {
		return nil, err
	}
	report := catalog.Report(m, today)
	report.Changes = changes
	return report, nil
}
