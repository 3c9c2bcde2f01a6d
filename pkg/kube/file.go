package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/internal/atomicfile"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// LoadCatalog reads a catalog file written by RefreshFile, or returns the
// embedded catalog when path is "".
func LoadCatalog(path string) (*Catalog, error) {
	if path == "" {
		return Default(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	c, err := ParseCatalog(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// RefreshFile fetches the release cycles from url and writes them to the
// catalog file at path (pkg/kube/catalog.json to refresh the embedded
// copy). It reports whether the file changed; on any failure the file is
// left as it was.
func RefreshFile(ctx context.Context, client *http.Client, url, path string) (c *Catalog, changed bool, err error) {
	c, err = Fetch(ctx, client, url)
	if err != nil {
		return nil, false, err
	}
	data := c.Encode()
	old, err := os.ReadFile(path)
	if err == nil && bytes.Equal(old, data) {
		return c, false, nil
	}
	if err := atomicfile.Write(path, data); err != nil {
		return nil, false, fmt.Errorf("write catalog: %w", err)
	}
	return c, true, nil
}

// SyncFile loads the matrix file at path, brings its kubernetes.versions up
// to date with the catalog on day today (see Catalog.Sync) and, when
// anything changed, replaces the file atomically. It returns the changes
// and the matrix as the file now holds it.
func SyncFile(path string, c *Catalog, today time.Time) (*matrix.Matrix, []string, error) {
	data, err := matrix.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	// A file sync can repair (an upgrade path skipping a minor) is
	// synced, not refused; anything else is refused as the loader says.
	m, probs := matrix.ParseToRepair(path, data)
	if m == nil {
		return nil, nil, probs
	}
	out, changes, err := c.Sync(path, data, m, today)
	if err != nil {
		return nil, nil, err
	}
	if len(changes) == 0 {
		if len(probs.Errors()) > 0 {
			return nil, nil, probs
		}
		return m, nil, nil
	}
	if err := atomicfile.Write(path, out); err != nil {
		return nil, nil, fmt.Errorf("write matrix: %w", err)
	}
	m, err = matrix.Parse(path, out)
	if err != nil {
		// Sync verified the bytes it returned; this is a defect.
		return nil, nil, fmt.Errorf("reload synced matrix: %w", err)
	}
	return m, changes, nil
}

// Calendars says where `supportmatrix versions` reads its two calendars,
// the upstream catalog and the vendors' lifecycles, and whether it
// refreshes them first.
type Calendars struct {
	// Catalog and Lifecycles are files to read instead of the embedded
	// catalogs ("" for the embedded one); with Refresh they are written.
	Catalog, Lifecycles string
	// Refresh fetches the upstream cycles from URL into Catalog, and the
	// vendors' from EndOfLife into Lifecycles when that is set.
	Refresh        bool
	URL, EndOfLife string
	Client         *http.Client
}

// Load returns the upstream catalog held together with the vendor
// lifecycles, refreshing the files first when asked; each note says what a
// refresh did, for the user. On a failed refresh no file is changed.
func (s Calendars) Load(ctx context.Context, today time.Time) (*Catalog, []string, error) {
	var notes []string
	var c *Catalog
	var err error
	if s.Refresh {
		if s.Catalog == "" {
			return nil, nil, errors.New("refresh needs a catalog file to write the fetched cycles to (pkg/kube/catalog.json for the embedded one)")
		}
		var changed bool
		if c, changed, err = RefreshFile(ctx, s.Client, s.URL, s.Catalog); err != nil {
			return nil, nil, err
		}
		notes = append(notes, fmt.Sprintf("%s: %s, %d minors from %s", s.Catalog, state(changed), len(c.Releases), s.URL))
	} else if c, err = LoadCatalog(s.Catalog); err != nil {
		return nil, nil, err
	}
	if s.Refresh && s.Lifecycles != "" {
		base := s.EndOfLife
		if base == "" {
			base = DefaultEndOfLife
		}
		l, products, changed, err := RefreshLifecyclesFile(ctx, s.Client, base, s.Lifecycles, today)
		if err != nil {
			return nil, nil, err
		}
		notes = append(notes, fmt.Sprintf("%s: %s (%s)", s.Lifecycles, state(changed), strings.Join(products, "; ")))
		c.Lifecycles = l
	} else if c.Lifecycles, err = LoadLifecycles(s.Lifecycles); err != nil {
		return nil, nil, err
	}
	return c, notes, nil
}

func state(changed bool) string {
	if changed {
		return "updated"
	}
	return "unchanged"
}
