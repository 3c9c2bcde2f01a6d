package markdown

import "testing"

func TestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Google Kubernetes Engine", "Google Kubernetes Engine"},
		{"kind (Kubernetes in Docker)", "kind (Kubernetes in Docker)"},
		{`<img src=x onerror=alert(1)>`, `&lt;img src=x onerror=alert(1)&gt;`},
		{`x) ![pixel](https://evil.example/p.png`, `x) !\[pixel\](https://evil.example/p.png`},
		{"a | b", `a \| b`},
		{"two\nlines\r\n  here", "two lines here"},
		{"*bold* _em_ `code` ~strike~", "\\*bold\\* \\_em\\_ \\`code\\` \\~strike\\~"},
		{`back\slash`, `back\\slash`},
	}
	for _, tt := range tests {
		if got := Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"docs/gke.md", "`docs/gke.md`"},
		{"<img src=x>", "`<img src=x>`"},
		{"a`b", "a\\`b"},
		{"a|b", `a\|b`},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Code(tt.in); got != tt.want {
			t.Errorf("Code(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLink(t *testing.T) {
	tests := []struct{ text, url, want string }{
		{"job", "https://gitlab.example/p/-/jobs/1", "[job](https://gitlab.example/p/-/jobs/1)"},
		{"job", "http://gitlab.example/p/-/jobs/1", "[job](http://gitlab.example/p/-/jobs/1)"},
		{"job", "javascript:alert(1)", "job"},
		{"job", "data:text/html,<script>", "job"},
		{"job", "/relative/path", "job"},
		{"job", "https://", "job"},
		{"job", "https://user:pw@gitlab.example/", "job"},
		{"job", "https://gitlab.example/a\nb", "job"},
		{"job", "https://gitlab.example/x) ![pixel](https://evil.example/p.png", "[job](https://gitlab.example/x%29%20%21%5Bpixel%5D%28https://evil.example/p.png)"},
		{"job", "https://gitlab.example/?q=a|b)", "[job](https://gitlab.example/?q=a%7Cb%29)"},
		{"<b>x</b>", "https://gitlab.example/", "[&lt;b&gt;x&lt;/b&gt;](https://gitlab.example/)"},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := Link(tt.text, tt.url); got != tt.want {
			t.Errorf("Link(%q, %q) = %q, want %q", tt.text, tt.url, got, tt.want)
		}
	}
}

func TestMentions(t *testing.T) {
	if got, want := Mentions([]string{"@alice", "@platform/k8s_team"}), `@alice, @platform/k8s\_team`; got != want {
		t.Errorf("Mentions = %q, want %q", got, want)
	}
	if got := Mentions(nil); got != "" {
		t.Errorf("Mentions(nil) = %q, want empty", got)
	}
}
