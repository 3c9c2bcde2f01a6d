package kube

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
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
