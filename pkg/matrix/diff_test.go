package matrix

import (
	"reflect"
	"strings"
	"testing"
)

// backupMatrix has a chain deploy -> backup -> restore and runner beside
// it, on two minors; restore is excluded on 1.36.
const backupMatrix = `schema: supportmatrix/v1
kubernetes:
  versions: ["1.36", "1.37"]
distributions:
  kind:
    name: kind
    tier: community
    cluster: {type: ephemeral, provision: kind-provision, teardown: kind-teardown}
features:
  deploy:
    name: Deploy
  backup:
    name: Backup
    needs: [deploy]
  restore:
    name: Restore
    needs: [backup]
  runner:
    name: Runner
    needs: [deploy]
rules:
  - match: {feature: restore, kubernetes: "1.36"}
    action: exclude
    reason: no restore before 1.37
`

func mustPlan(t *testing.T, src string) *Plan {
	t.Helper()
	m, err := Parse("matrix.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return Expand(m)
}

// TestScopeIncludesDependents: a merge-request pipeline re-runs the cells
// that need a changed cell (restore consumes what backup made), not only
// the cells the changed cell needs; excluded dependents stay out, and
// cells beside the chain (runner) are untouched.
func TestScopeIncludesDependents(t *testing.T) {
	t.Parallel()
	base := mustPlan(t, backupMatrix)
	tests := []struct {
		name    string
		edit    func(string) string
		changed []string
		scope   []string
		closure []string
	}{
		{
			name: "backup changes: restore re-runs",
			edit: func(s string) string {
				return strings.Replace(s, "    name: Backup\n", "    name: Backup\n    timeout: 30m\n", 1)
			},
			changed: []string{"kind/1.36/backup", "kind/1.37/backup"},
			scope:   []string{"kind/1.36/backup", "kind/1.37/backup", "kind/1.37/restore"},
			closure: []string{"kind/1.36/deploy", "kind/1.36/backup", "kind/1.37/deploy", "kind/1.37/backup", "kind/1.37/restore"},
		},
		{
			name: "deploy changes: everything that needs it, transitively",
			edit: func(s string) string {
				return strings.Replace(s, "    name: Deploy\n", "    name: Deploy\n    timeout: 30m\n", 1)
			},
			changed: []string{"kind/1.36/deploy", "kind/1.37/deploy"},
			scope:   []string{"kind/1.36/deploy", "kind/1.36/backup", "kind/1.36/runner", "kind/1.37/deploy", "kind/1.37/backup", "kind/1.37/restore", "kind/1.37/runner"},
		},
		{
			name: "restore changes: nothing needs it",
			edit: func(s string) string {
				return strings.Replace(s, "    name: Restore\n", "    name: Restore\n    timeout: 30m\n", 1)
			},
			changed: []string{"kind/1.36/restore", "kind/1.37/restore"},
			scope:   []string{"kind/1.37/restore"},
		},
		{
			name:  "names change the table only",
			edit:  func(s string) string { return strings.Replace(s, "name: Backup", "name: Backups", 1) },
			scope: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			head := mustPlan(t, tt.edit(backupMatrix))
			d := Compare(base, head, nil, nil)
			if !reflect.DeepEqual(d.Changed, tt.changed) {
				t.Errorf("changed %v, want %v", d.Changed, tt.changed)
			}
			scope := d.Scope(head)
			if !reflect.DeepEqual(scope, tt.scope) {
				t.Errorf("scope %v, want %v", scope, tt.scope)
			}
			if tt.closure == nil {
				return
			}
			var got []string
			for _, id := range head.IDs() {
				if head.Closure(scope)[id] {
					got = append(got, id)
				}
			}
			if !reflect.DeepEqual(got, tt.closure) {
				t.Errorf("closure %v, want %v", got, tt.closure)
			}
		})
	}
}

func TestSuggestDistribution(t *testing.T) {
	t.Parallel()
	p := mustPlan(t, backupMatrix)
	if got := p.Matrix.SuggestDistribution("knd"); got != `; did you mean "kind"?` {
		t.Errorf("knd: %q", got)
	}
	if got := p.Matrix.SuggestDistribution("openshift"); got != "" {
		t.Errorf("openshift: %q, want no suggestion", got)
	}
}
