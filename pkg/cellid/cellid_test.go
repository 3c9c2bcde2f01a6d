package cellid

import "testing"

// TestRoundTrip: every id the constructors build reads back as its kind
// and its chain.
func TestRoundTrip(t *testing.T) {
	for _, tt := range []struct{ id, kind, group string }{
		{Feature("gke", "1.35", "runner"), KindTest, "gke/1.35"},
		{Feature("kind", "1.35", "nodes"), KindTest, "kind/1.35"},
		{Upgrade("k3s", "1.34", "1.35"), KindUpgrade, "k3s/1.34->1.35"},
		{Skew("kind", "1.35", "1.32"), KindSkew, "kind/1.35"},
	} {
		if got := KindOf(tt.id); got != tt.kind {
			t.Errorf("KindOf(%q) = %q, want %q", tt.id, got, tt.kind)
		}
		if got := Group(tt.id); got != tt.group {
			t.Errorf("Group(%q) = %q, want %q", tt.id, got, tt.group)
		}
	}
}

func TestKindOf(t *testing.T) {
	for _, tt := range []struct{ id, want string }{
		{"gke/1.35/runner", KindTest},
		{"k3s/1.34->1.35", KindUpgrade},
		{"kind/1.35/nodes-1.32", KindSkew},
		{"kind/1.35/nodes-x", KindTest},
		{"kind/1.35/nodes-1.32x", KindTest},
		{"kind/1.35/a/nodes-1.32", KindTest},
		{"plain", KindTest},
	} {
		if got := KindOf(tt.id); got != tt.want {
			t.Errorf("KindOf(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}
