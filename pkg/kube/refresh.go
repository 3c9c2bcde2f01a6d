package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// maxBody bounds how much of endoflife.date's answer is read (the real one is
// a few kilobytes).
const maxBody = 4 << 20

// Fetch downloads the release cycles from url (DefaultSource, or a mirror
// serving the same JSON) and returns them as a catalog of the minors from
// Oldest on. client may be nil for http.DefaultClient.
func Fetch(ctx context.Context, client *http.Client, url string) (*Catalog, error) {
	body, status, err := get(ctx, client, url)
	if err != nil {
		return nil, fmt.Errorf("fetch release cycles from %s: %w", url, err)
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("fetch release cycles from %s: HTTP %d %s", url, status, http.StatusText(status))
	}
	c, err := ParseEndOfLife(body)
	if err != nil {
		return nil, fmt.Errorf("fetch release cycles from %s: %w", url, err)
	}
	c.Source = url
	return c, nil
}

// get downloads a JSON answer of at most maxBody bytes and returns it with
// the HTTP status; client may be nil for http.DefaultClient. Both refreshes
// (upstream cycles, vendor lifecycles) read endoflife.date through it.
func get(ctx context.Context, client *http.Client, url string) ([]byte, int, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode == http.StatusOK && len(body) > maxBody {
		return nil, 0, fmt.Errorf("answer larger than %d bytes", maxBody)
	}
	return body, resp.StatusCode, nil
}

// eolCycle is one element of endoflife.date's /api/<product>.json answer.
// Its eol field is a date, or false while the end of life is not announced.
type eolCycle struct {
	Cycle       string          `json:"cycle"`
	ReleaseDate string          `json:"releaseDate"`
	EOL         json.RawMessage `json:"eol"`
	Latest      string          `json:"latest"`
}

// ParseEndOfLife reads endoflife.date's release-cycle JSON for Kubernetes
// (an array of {"cycle", "releaseDate", "eol", "latest", ...}) and keeps the
// minors from Oldest on, ascending. Fields it does not use are ignored.
func ParseEndOfLife(data []byte) (*Catalog, error) {
	var cycles []eolCycle
	if err := json.Unmarshal(data, &cycles); err != nil {
		return nil, fmt.Errorf("parse endoflife.date answer: %w", err)
	}
	c := &Catalog{Source: DefaultSource}
	for i, cy := range cycles {
		m, err := ParseMinor(cy.Cycle)
		if err != nil {
			return nil, fmt.Errorf("parse endoflife.date answer: [%d]: %w", i, err)
		}
		if m.Less(Oldest) {
			continue
		}
		e := catalogEntry{Minor: m.String(), Released: cy.ReleaseDate, Latest: cy.Latest}
		if e.EOL, err = eolDate(cy.EOL); err != nil {
			return nil, fmt.Errorf("parse endoflife.date answer: %s: %w", m, err)
		}
		r, err := e.release()
		if err != nil {
			return nil, fmt.Errorf("parse endoflife.date answer: %w", err)
		}
		c.Releases = append(c.Releases, r)
	}
	if len(c.Releases) == 0 {
		return nil, fmt.Errorf("parse endoflife.date answer: no minor from %s on", Oldest)
	}
	if err := c.normalize(); err != nil {
		return nil, fmt.Errorf("parse endoflife.date answer: %w", err)
	}
	return c, nil
}

// eolDate turns endoflife.date's eol value into a date string, "" when the
// end of life is not announced (false or null).
func eolDate(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "false" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("eol %s: want a date or false", raw)
	}
	return s, nil
}
