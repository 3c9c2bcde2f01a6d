package gitlabtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
)

// The fake's issues, issue notes and labels follow lib/api/issues.rb,
// lib/api/notes.rb and lib/api/labels.rb (with lib/api/helpers/label_helpers.rb):
//
//   - GET /projects/:id/issues filters by labels (comma-separated, an issue
//     must carry all), state (opened, closed, all; default all) and search
//     (text in the title or description), ordered by created_at (default
//     desc) and paginated;
//   - POST /projects/:id/issues requires a title (at most 255 characters,
//     Issuable's TITLE_LENGTH_MAX; a description at most 1,048,576,
//     DESCRIPTION_LENGTH_MAX); a label that does not exist is created when
//     the role may create labels, and silently dropped otherwise
//     (app/services/labels/find_or_create_service.rb);
//   - PUT /projects/:id/issues/:iid needs at least one field and takes
//     state_event close or reopen;
//   - GET and POST /projects/:id/issues/:iid/notes;
//   - GET /projects/:id/labels[/:name] and POST /projects/:id/labels, which
//     requires name and color and answers 409 "Label already exists".
//
// None of these routes takes a CI job token (no job_token_allowed): the
// fake's authentication already treats a job token there as anonymous, so
// a private project answers 404. Roles follow app/policies/project_policy.rb:
// a Guest may create issues and notes; creating labels and editing or
// closing issues takes Planner, Reporter or above (admin_label,
// update_issue).

// Roles the fake's token can play, lowest first.
const (
	RoleGuest      = "guest"
	RolePlanner    = "planner"
	RoleReporter   = "reporter"
	RoleDeveloper  = "developer"
	RoleMaintainer = "maintainer"
)

// Issue limits GitLab enforces (app/models/concerns/issuable.rb), as the
// adapter knows them.
const (
	MaxIssueTitle       = gitlab.MaxIssueTitle
	MaxIssueDescription = gitlab.MaxIssueDescription
)

// Issue is an issue of the fake project.
type Issue struct {
	IID         int64
	Title       string
	Description string
	// State is opened or closed.
	State  string
	Labels []string
	Author string
	// CreatedAt defaults to a fixed time derived from IID.
	CreatedAt time.Time
}

// Label is a label of the fake project.
type Label struct {
	Name, Color, Description string
}

// issueStore holds the fake's issues, their notes and the labels.
type issueStore struct {
	issues  []*Issue
	notes   map[int64][]*Note
	labels  []*Label
	role    string
	barrier *barrier
}

// barrier holds the answers to matching requests until n are made.
type barrier struct {
	method, path string
	n            int
	arrived      int
	release      chan struct{}
}

// store returns the issue store, made on first use; s.mu held.
func (s *Server) store() *issueStore {
	if s.iss == nil {
		s.iss = &issueStore{notes: map[int64][]*Note{}, role: RoleMaintainer}
	}
	return s.iss
}

// SetRole sets the role of the fake's token in the project (default
// maintainer): a guest may open issues and write notes, but may not create
// labels nor edit or close issues.
func (s *Server) SetRole(role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store().role = role
}

// Barrier holds the answers to the next n requests whose method matches
// and whose path contains path until all n have been answered, so that a
// test can make n clients read the same state before any of them writes
// (two publishes listing issues before either opens one). Each answer is
// made when its request arrives and sent when the last one is made. A
// request waits for the others however long they take (a loaded machine
// under -race may take seconds), or until its client gives up: a time limit
// here would let the first answer go early and the race not happen.
func (s *Server) Barrier(method, path string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store().barrier = &barrier{method: method, path: path, n: n, release: make(chan struct{})}
}

// serveAtBarrier answers a request the barrier holds: it makes the answer
// now and sends it once the barrier's last request is answered too. It
// reports false, doing nothing, when no barrier holds the request.
func (s *Server) serveAtBarrier(w *statusRecorder, r *http.Request, path string) bool {
	s.mu.Lock()
	b := s.store().barrier
	if b == nil || b.arrived >= b.n || b.method != r.Method || !strings.Contains(path, b.path) {
		s.mu.Unlock()
		return false
	}
	b.arrived++
	last := b.arrived == b.n
	s.mu.Unlock()
	rec := httptest.NewRecorder()
	s.handle(&statusRecorder{ResponseWriter: rec}, r, path)
	if last {
		close(b.release)
	}
	select {
	case <-b.release:
	case <-r.Context().Done():
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
	return true
}

// AddIssue adds an issue (State defaults to opened, Author to root) and
// returns its iid.
func (s *Server) AddIssue(i Issue) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.store()
	i.IID = int64(len(st.issues) + 1)
	if i.State == "" {
		i.State = "opened"
	}
	if i.Author == "" {
		i.Author = "root"
	}
	if i.CreatedAt.IsZero() {
		i.CreatedAt = epoch.Add(time.Duration(i.IID) * time.Minute)
	}
	st.issues = append(st.issues, &i)
	return i.IID
}

// Issues returns every issue, in creation order.
func (s *Server) Issues() []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Issue
	for _, i := range s.store().issues {
		c := *i
		c.Labels = slices.Clone(i.Labels)
		out = append(out, c)
	}
	return out
}

// IssueNotes returns the notes of issue iid, oldest first.
func (s *Server) IssueNotes(iid int64) []Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Note
	for _, n := range s.store().notes[iid] {
		out = append(out, *n)
	}
	return out
}

// AddLabel adds a project label.
func (s *Server) AddLabel(l Label) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store().labels = append(s.store().labels, &l)
}

// Labels returns the project's labels, in creation order.
func (s *Server) Labels() []Label {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Label
	for _, l := range s.store().labels {
		out = append(out, *l)
	}
	return out
}

// atLeastRole reports whether the token's role is at least min; s.mu held.
func (st *issueStore) atLeastRole(min string) bool {
	order := []string{RoleGuest, RolePlanner, RoleReporter, RoleDeveloper, RoleMaintainer}
	return slices.Index(order, st.role) >= slices.Index(order, min)
}

// label finds a label by name (GitLab matches titles exactly); s.mu held.
func (st *issueStore) label(name string) *Label {
	for _, l := range st.labels {
		if l.Name == name {
			return l
		}
	}
	return nil
}

func (st *issueStore) issue(iid string) *Issue {
	n, err := strconv.ParseInt(iid, 10, 64)
	if err != nil {
		return nil
	}
	for _, i := range st.issues {
		if i.IID == n {
			return i
		}
	}
	return nil
}

// routeIssues serves the issue, issue note and label routes; rest is the
// path below /projects/:id. It reports whether it served the request.
func (s *Server) routeIssues(w http.ResponseWriter, r *http.Request, rest []string) bool {
	m := r.Method
	switch {
	case len(rest) == 1 && rest[0] == "issues" && m == http.MethodGet:
		s.listIssues(w, r)
	case len(rest) == 1 && rest[0] == "issues" && m == http.MethodPost:
		s.createIssue(w, r)
	case len(rest) == 2 && rest[0] == "issues" && m == http.MethodGet:
		s.getIssue(w, rest[1])
	case len(rest) == 2 && rest[0] == "issues" && m == http.MethodPut:
		s.updateIssue(w, r, rest[1])
	case len(rest) == 3 && rest[0] == "issues" && rest[2] == "notes" && m == http.MethodGet:
		s.listIssueNotes(w, r, rest[1])
	case len(rest) == 3 && rest[0] == "issues" && rest[2] == "notes" && m == http.MethodPost:
		s.createIssueNote(w, r, rest[1])
	case len(rest) == 1 && rest[0] == "labels" && m == http.MethodGet:
		s.listLabels(w, r)
	case len(rest) == 1 && rest[0] == "labels" && m == http.MethodPost:
		s.createLabel(w, r)
	case len(rest) == 2 && rest[0] == "labels" && m == http.MethodGet:
		s.getLabel(w, rest[1])
	default:
		return false
	}
	return true
}

func (s *Server) issueJSON(i *Issue) map[string]any {
	labels := i.Labels
	if labels == nil {
		labels = []string{}
	}
	closedAt := any(nil)
	if i.State == "closed" {
		closedAt = i.CreatedAt.Add(time.Hour).Format(time.RFC3339Nano)
	}
	return map[string]any{
		"id": 7000 + i.IID, "iid": i.IID, "project_id": s.ProjectID, "title": i.Title,
		"description": i.Description, "state": i.State, "labels": labels,
		"author":     map[string]any{"id": 1, "username": i.Author, "name": i.Author, "state": "active"},
		"created_at": i.CreatedAt.Format(time.RFC3339Nano), "updated_at": i.CreatedAt.Format(time.RFC3339Nano),
		"closed_at": closedAt, "assignees": []any{}, "milestone": nil, "confidential": false,
		"issue_type": "issue", "type": "ISSUE", "user_notes_count": 0,
		"web_url":    fmt.Sprintf("%s/-/issues/%d", s.webBase(), i.IID),
		"references": map[string]any{"short": fmt.Sprintf("#%d", i.IID)},
	}
}

// params reads a request's parameters the way Grape does: the JSON body,
// or the form body, or the query string.
func params(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range r.URL.Query() {
		out[k] = v[0]
	}
	if r.Body == nil {
		return out, nil
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			return nil, err
		}
		for k, v := range body {
			switch v := v.(type) {
			case string:
				out[k] = v
			case nil:
			default:
				b, _ := json.Marshal(v)
				out[k] = string(b)
			}
		}
		return out, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	for k, v := range r.PostForm {
		out[k] = v[0]
	}
	return out, nil
}

// splitLabels splits a comma-separated label list as
// Labels::AvailableLabelsService does (split on ",", strip).
func splitLabels(s string) []string {
	var out []string
	for _, l := range strings.Split(s, ",") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (s *Server) listIssues(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "all"
	}
	if !slices.Contains([]string{"opened", "closed", "all"}, state) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "state does not have a valid value"})
		return
	}
	if o := q.Get("order_by"); o != "" && o != "created_at" && o != "updated_at" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "order_by does not have a valid value"})
		return
	}
	sort := q.Get("sort")
	if sort == "" {
		sort = "desc"
	}
	if sort != "asc" && sort != "desc" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "sort does not have a valid value"})
		return
	}
	want := splitLabels(q.Get("labels"))
	search := strings.ToLower(q.Get("search"))
	s.mu.Lock()
	defer s.mu.Unlock()
	var items []any
	for _, i := range s.store().issues {
		if state != "all" && i.State != state {
			continue
		}
		if !allLabels(i.Labels, want) {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(i.Title), search) && !strings.Contains(strings.ToLower(i.Description), search) {
			continue
		}
		items = append(items, s.issueJSON(i))
	}
	if sort == "desc" {
		slices.Reverse(items)
	}
	s.writePage(w, r, len(items), func(i int) any { return items[i] })
}

func allLabels(have, want []string) bool {
	for _, l := range want {
		if !slices.Contains(have, l) {
			return false
		}
	}
	return true
}

// tooLong is GitLab's validation error body for a field over its limit.
func tooLong(w http.ResponseWriter, field string, max int) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"message": map[string][]string{field: {fmt.Sprintf("is too long (maximum is %d characters)", max)}}})
}

// checkIssueFields refuses a title or description over GitLab's limits.
func checkIssueFields(w http.ResponseWriter, p map[string]string) bool {
	if t, ok := p["title"]; ok && utf8.RuneCountInString(t) > MaxIssueTitle {
		tooLong(w, "title", MaxIssueTitle)
		return false
	}
	if d, ok := p["description"]; ok && utf8.RuneCountInString(d) > MaxIssueDescription {
		tooLong(w, "description", MaxIssueDescription)
		return false
	}
	return true
}

func (s *Server) createIssue(w http.ResponseWriter, r *http.Request) {
	p, err := params(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid body: " + err.Error()})
		return
	}
	if strings.TrimSpace(p["title"]) == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "title is missing"})
		return
	}
	if !checkIssueFields(w, p) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.store()
	var labels []string
	for _, name := range splitLabels(p["labels"]) {
		if st.label(name) == nil {
			if !st.atLeastRole(RolePlanner) {
				continue // not created, and dropped without a word
			}
			st.labels = append(st.labels, &Label{Name: name, Color: "#6699cc"})
		}
		if !slices.Contains(labels, name) {
			labels = append(labels, name)
		}
	}
	i := &Issue{IID: int64(len(st.issues) + 1), Title: p["title"], Description: p["description"], State: "opened", Labels: labels, Author: "project_1_bot"}
	i.CreatedAt = epoch.Add(time.Duration(i.IID) * time.Minute)
	st.issues = append(st.issues, i)
	writeJSON(w, http.StatusCreated, s.issueJSON(i))
}

func (s *Server) getIssue(w http.ResponseWriter, iid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.store().issue(iid)
	if i == nil {
		notFound(w, "404 Issue Not Found")
		return
	}
	writeJSON(w, http.StatusOK, s.issueJSON(i))
}

func (s *Server) updateIssue(w http.ResponseWriter, r *http.Request, iid string) {
	p, err := params(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid body: " + err.Error()})
		return
	}
	fields := []string{"title", "description", "assignee_ids", "assignee_id", "milestone_id", "discussion_locked", "labels", "created_at", "due_date", "confidential", "state_event"}
	if !slices.ContainsFunc(fields, func(f string) bool { _, ok := p[f]; return ok }) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": strings.Join(fields, ", ") + " are missing, at least one parameter must be provided"})
		return
	}
	if ev, ok := p["state_event"]; ok && ev != "close" && ev != "reopen" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "state_event does not have a valid value"})
		return
	}
	if t, ok := p["title"]; ok && strings.TrimSpace(t) == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": map[string][]string{"title": {"can't be blank"}}})
		return
	}
	if !checkIssueFields(w, p) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.store()
	i := st.issue(iid)
	if i == nil {
		notFound(w, "404 Issue Not Found")
		return
	}
	if !st.atLeastRole(RolePlanner) && i.Author != "project_1_bot" {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "403 Forbidden"})
		return
	}
	if t, ok := p["title"]; ok {
		i.Title = t
	}
	if d, ok := p["description"]; ok {
		i.Description = d
	}
	switch p["state_event"] {
	case "close":
		i.State = "closed"
	case "reopen":
		i.State = "opened"
	}
	writeJSON(w, http.StatusOK, s.issueJSON(i))
}

func issueNoteJSON(iid int64, n *Note) map[string]any {
	j := noteJSON(iid, n)
	j["noteable_id"], j["noteable_type"] = 7000+iid, "Issue"
	return j
}

func (s *Server) listIssueNotes(w http.ResponseWriter, r *http.Request, iid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.store()
	i := st.issue(iid)
	if i == nil {
		notFound(w, "404 Issue Not Found")
		return
	}
	notes := slices.Clone(st.notes[i.IID])
	if r.URL.Query().Get("sort") != "asc" {
		slices.Reverse(notes)
	}
	s.writePage(w, r, len(notes), func(k int) any { return issueNoteJSON(i.IID, notes[k]) })
}

func (s *Server) createIssueNote(w http.ResponseWriter, r *http.Request, iid string) {
	p, err := params(r)
	if err != nil || strings.TrimSpace(p["body"]) == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body is missing"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.store()
	i := st.issue(iid)
	if i == nil {
		notFound(w, "404 Issue Not Found")
		return
	}
	s.nextNote++
	n := &Note{ID: s.nextNote, Body: p["body"], Author: "project_1_bot"}
	st.notes[i.IID] = append(st.notes[i.IID], n)
	writeJSON(w, http.StatusCreated, issueNoteJSON(i.IID, n))
}

func labelJSON(id int, l *Label) map[string]any {
	return map[string]any{
		"id": 900 + id, "name": l.Name, "color": l.Color, "text_color": "#FFFFFF", "description": l.Description,
		"open_issues_count": 0, "closed_issues_count": 0, "open_merge_requests_count": 0,
		"subscribed": false, "priority": nil, "is_project_label": true, "archived": false,
	}
}

func (s *Server) listLabels(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	labels := s.store().labels
	s.writePage(w, r, len(labels), func(i int) any { return labelJSON(i, labels[i]) })
}

func (s *Server) getLabel(w http.ResponseWriter, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, l := range s.store().labels {
		if l.Name == name || strconv.Itoa(900+i) == name {
			writeJSON(w, http.StatusOK, labelJSON(i, l))
			return
		}
	}
	notFound(w, "404 Label Not Found")
}

func (s *Server) createLabel(w http.ResponseWriter, r *http.Request) {
	p, err := params(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid body: " + err.Error()})
		return
	}
	var missing []string
	for _, k := range []string{"name", "color"} {
		if p[k] == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": strings.Join(missing, ", ") + " is missing"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.store()
	if !st.atLeastRole(RolePlanner) {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "403 Forbidden"})
		return
	}
	if st.label(p["name"]) != nil {
		writeJSON(w, http.StatusConflict, map[string]string{"message": "Label already exists"})
		return
	}
	l := &Label{Name: p["name"], Color: p["color"], Description: p["description"]}
	st.labels = append(st.labels, l)
	writeJSON(w, http.StatusCreated, labelJSON(len(st.labels)-1, l))
}
