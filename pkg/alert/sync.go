package alert

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
)

// API is what Sync needs of GitLab; *gitlab.Client provides it on the real
// routes (lib/api/issues.rb, lib/api/notes.rb, lib/api/labels.rb).
type API interface {
	EnsureLabel(ctx context.Context, name, color, description string) (bool, error)
	ListIssues(ctx context.Context, q gitlab.IssueQuery) ([]gitlab.Issue, error)
	CreateIssue(ctx context.Context, title, description string, labels []string) (*gitlab.Issue, error)
	UpdateIssue(ctx context.Context, iid int64, u gitlab.IssueUpdate) (*gitlab.Issue, error)
	CreateIssueNote(ctx context.Context, iid int64, body string) (*gitlab.Note, error)
}

// DefaultLabel is the label every issue this package writes carries.
const DefaultLabel = "supportmatrix"

// labelColor and labelDescription make the label when the project lacks it.
const (
	labelColor       = "#d9534f"
	labelDescription = "Alerts and digests of the Kubernetes support program, written by supportmatrix publish; found again by a hidden marker, do not remove the label"
)

// Options configure Sync and Digest.
type Options struct {
	// Label marks the issues (default DefaultLabel); they are looked up
	// among the open issues carrying it.
	Label string
	// Now is when the alerts were judged, for the descriptions.
	Now time.Time
	// Log receives one line per issue opened, updated or closed.
	Log io.Writer
}

func (o *Options) defaults() {
	if o.Label == "" {
		o.Label = DefaultLabel
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// Action is one thing Sync did to an issue.
type Action struct {
	Key  string // gke/1.35, or "digest"
	IID  int64
	URL  string
	What string // one of the actions below
}

// What Sync does to an issue (Action.What), in the words its log and
// publish's report use.
const (
	Opened    = "opened"
	Updated   = "updated"
	Noted     = "noted"
	Closed    = "closed"
	Duplicate = "closed as a duplicate"
)

// Outcome lists what Sync did, in order.
type Outcome struct {
	Actions []Action
}

// Count returns how many actions did what.
func (o *Outcome) Count(what string) int {
	n := 0
	for _, a := range o.Actions {
		if a.What == what {
			n++
		}
	}
	return n
}

func (o *Outcome) add(log io.Writer, key string, is *gitlab.Issue, what string) {
	o.Actions = append(o.Actions, Action{Key: key, IID: is.IID, URL: is.WebURL, What: what})
	fmt.Fprintf(log, "publish: %s: issue #%d %s %s\n", key, is.IID, what, is.WebURL)
}

// tracker finds and keeps the marked issues of one label.
type tracker struct {
	api  API
	opts Options
	out  *Outcome
}

// open lists the open issues carrying the label and groups those with a
// marker of kind by key, oldest (lowest iid) first.
func (t *tracker) open(ctx context.Context, kind string) (map[string][]gitlab.Issue, error) {
	issues, err := t.api.ListIssues(ctx, gitlab.IssueQuery{Labels: []string{t.opts.Label}, State: "opened"})
	if err != nil {
		return nil, err
	}
	out := map[string][]gitlab.Issue{}
	for _, is := range issues {
		if k, key, ok := parseMarker(is.Description); ok && k == kind && is.State == "opened" {
			out[key] = append(out[key], is)
		}
	}
	for key := range out {
		slices.SortFunc(out[key], func(a, b gitlab.Issue) int { return int(a.IID - b.IID) })
	}
	return out, nil
}

// keepOldest closes every issue of the list but the oldest as its
// duplicate and returns the oldest. Every run that sees duplicates does
// this, so two racing publishes agree on the issue to keep: the one GitLab
// numbered first.
func (t *tracker) keepOldest(ctx context.Context, key string, issues []gitlab.Issue) (*gitlab.Issue, error) {
	keep := issues[0]
	for _, dup := range issues[1:] {
		// Close first: a note lost after the close leaves no duplicate
		// open, while a close lost after the note would repeat the note.
		closed, err := t.api.UpdateIssue(ctx, dup.IID, gitlab.IssueUpdate{StateEvent: gitlab.StateEventClose})
		if err != nil {
			return nil, err
		}
		if _, err := t.api.CreateIssueNote(ctx, dup.IID, fmt.Sprintf("Closed as a duplicate of #%d, which a concurrent publish opened first.", keep.IID)); err != nil {
			return nil, err
		}
		t.out.add(t.opts.Log, key, closed, Duplicate)
	}
	return &keep, nil
}

// create opens the issue of key, then lists again: a publish racing this
// one may have opened its own between this one's list and its create.
// GitLab numbers issues in creation order, so every racer agrees that the
// oldest stays; each closes its own issue when it is not the oldest, and
// leaves younger ones to their own publishes (which list again too; a
// publish that died before doing so leaves one for the next run's
// keepOldest).
func (t *tracker) create(ctx context.Context, kind, key, title, description string) (*gitlab.Issue, error) {
	is, err := t.api.CreateIssue(ctx, title, description, []string{t.opts.Label})
	if err != nil {
		return nil, err
	}
	t.out.add(t.opts.Log, key, is, Opened)
	if !slices.Contains(is.Labels, t.opts.Label) {
		// GitLab dropped the label (the token may not use it): nothing
		// could find the issue again, and every run would open another.
		return nil, fmt.Errorf("issue #%d was opened without the label %q, so it could never be found again; give the token a role that may create and apply labels (Planner, Reporter or above)", is.IID, t.opts.Label)
	}
	again, err := t.open(ctx, kind)
	if err != nil {
		return nil, err
	}
	found := again[key]
	if len(found) == 0 || found[0].IID == is.IID {
		// Ours is the oldest (or a person closed the others already).
		return is, nil
	}
	if !slices.ContainsFunc(found, func(x gitlab.Issue) bool { return x.IID == is.IID }) {
		return &found[0], nil // a racer closed ours already
	}
	if _, err := t.keepOldest(ctx, key, []gitlab.Issue{found[0], *is}); err != nil {
		return nil, err
	}
	return &found[0], nil
}

// Sync brings the project's alert issues in line with alerts: a firing
// cell without an open issue gets one; an open issue is rewritten when its
// cell's state changed, with a note saying what changed, and closed with a
// note when its cell is green again (or has left the matrix). Issues are
// found by their marker among the open issues carrying opts.Label.
func Sync(ctx context.Context, api API, alerts []Alert, opts Options) (*Outcome, error) {
	opts.defaults()
	t := &tracker{api: api, opts: opts, out: &Outcome{}}
	if _, err := api.EnsureLabel(ctx, opts.Label, labelColor, labelDescription); err != nil {
		return t.out, err
	}
	open, err := t.open(ctx, "alert")
	if err != nil {
		return t.out, err
	}
	known := map[string]bool{}
	for i := range alerts {
		a := &alerts[i]
		known[a.Key] = true
		var cur *gitlab.Issue
		if list := open[a.Key]; len(list) > 0 {
			if cur, err = t.keepOldest(ctx, a.Key, list); err != nil {
				return t.out, err
			}
		}
		if err := t.one(ctx, a, cur); err != nil {
			return t.out, fmt.Errorf("alert %s: %w", a.Key, err)
		}
	}
	// Issues of cells the matrix no longer has (a distribution dropped, a
	// minor no longer offered): nothing will ever make them green.
	for key, list := range open {
		if known[key] {
			continue
		}
		for _, is := range list {
			closed, err := api.UpdateIssue(ctx, is.IID, gitlab.IssueUpdate{StateEvent: gitlab.StateEventClose})
			if err != nil {
				return t.out, err
			}
			if _, err := api.CreateIssueNote(ctx, is.IID, fmt.Sprintf("Closing: `%s` is no longer a cell of the matrix.", key)); err != nil {
				return t.out, err
			}
			t.out.add(opts.Log, key, closed, Closed)
		}
	}
	return t.out, nil
}

// one handles one cell whose open issue (or nil) has been found.
func (t *tracker) one(ctx context.Context, a *Alert, cur *gitlab.Issue) error {
	desc := Description(a, t.opts.Now)
	switch {
	case cur == nil && a.Firing():
		_, err := t.create(ctx, "alert", a.Key, Title(a), desc)
		return err
	case cur == nil:
		return nil
	case !a.Firing() && a.Green:
		// One PUT: the description says it is green, and the issue closes.
		closed, err := t.api.UpdateIssue(ctx, cur.IID, gitlab.IssueUpdate{Description: desc, StateEvent: gitlab.StateEventClose})
		if err != nil {
			return err
		}
		if _, err := t.api.CreateIssueNote(ctx, cur.IID, closeNote(a)); err != nil {
			return err
		}
		t.out.add(t.opts.Log, a.Key, closed, Closed)
		return nil
	case cur.Description == desc:
		return nil // a re-run of the same publish
	}
	was, hadState := readState(cur.Description)
	updated, err := t.api.UpdateIssue(ctx, cur.IID, gitlab.IssueUpdate{Description: desc})
	if err != nil {
		return err
	}
	t.out.add(t.opts.Log, a.Key, updated, Updated)
	if !hadState {
		return nil
	}
	if note := changeNote(a, was); note != "" {
		if _, err := t.api.CreateIssueNote(ctx, cur.IID, note); err != nil {
			return err
		}
		t.out.add(t.opts.Log, a.Key, updated, Noted)
	}
	return nil
}

// DigestTitle is the title of the digest issue.
const DigestTitle = "Support program digest"

// digestKey is the key of the digest issue's marker.
const digestKey = "program"

// Digest keeps one open issue (marker <!-- supportmatrix:digest program -->,
// opts.Label) whose description is body, updated in place: the same
// machinery as the alerts, so retries and concurrent publishes leave one.
func Digest(ctx context.Context, api API, body string, opts Options) (*Outcome, error) {
	opts.defaults()
	t := &tracker{api: api, opts: opts, out: &Outcome{}}
	desc := Marker("digest", digestKey) + "\n" + body
	if n := len([]rune(desc)); n > gitlab.MaxIssueDescription {
		return t.out, fmt.Errorf("the digest is %d characters, more than the %d of an issue description (app/models/concerns/issuable.rb)", n, gitlab.MaxIssueDescription)
	}
	if _, err := api.EnsureLabel(ctx, opts.Label, labelColor, labelDescription); err != nil {
		return t.out, err
	}
	open, err := t.open(ctx, "digest")
	if err != nil {
		return t.out, err
	}
	if len(open[digestKey]) == 0 {
		_, err := t.create(ctx, "digest", digestKey, DigestTitle, desc)
		return t.out, err
	}
	cur, err := t.keepOldest(ctx, digestKey, open[digestKey])
	if err != nil || cur.Description == desc {
		return t.out, err
	}
	updated, err := api.UpdateIssue(ctx, cur.IID, gitlab.IssueUpdate{Description: desc})
	if err != nil {
		return t.out, err
	}
	t.out.add(opts.Log, digestKey, updated, Updated)
	return t.out, nil
}
