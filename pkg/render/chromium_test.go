package render

import (
	"context"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromium finds a headless-capable Chromium: $SUPPORTMATRIX_CHROMIUM, then
// chromium or chromium-browser on PATH. Without one the test skips, unless
// SUPPORTMATRIX_REQUIRE_TOOLS=1 (CI), where it fails. -short skips it (the
// fast loop).
func chromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not starting Chromium")
	}
	if p := os.Getenv("SUPPORTMATRIX_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SUPPORTMATRIX_REQUIRE_TOOLS") == "1" {
		t.Fatal("chromium not found and SUPPORTMATRIX_REQUIRE_TOOLS=1")
	}
	t.Skip("chromium not found; install Debian's chromium or set SUPPORTMATRIX_CHROMIUM")
	return ""
}

// probe is appended to a copy of the page, after the page's own script: it
// writes what the browser renders (the grid's innerText, which leaves out
// anything CSS hides, the computed colours of the level cells, and the
// history squares the page's script drew) into an element that --dump-dom
// then prints.
const probe = `<pre id="probe"></pre><script>
var out = [];
out.push("GRID");
out.push(document.querySelector("table.grid").innerText);
out.push("COLOURS");
document.querySelectorAll("table.grid td[class^=lv-]").forEach(function (td) {
  var r = td.getBoundingClientRect();
  out.push(td.className + " " + getComputedStyle(td).backgroundColor + " " + (r.width > 0 && r.height > 0 ? "visible" : "hidden"));
});
// The page draws history squares as their cells come near the screen:
// scroll to the first features table and let the browser draw them.
document.querySelector("table.features").scrollIntoView();
setTimeout(function () {
  out.push("SQUARES");
  document.querySelectorAll("table.features .hist").forEach(function (h) {
    var sq = [];
    h.querySelectorAll("a, span").forEach(function (e) {
      var r = e.getBoundingClientRect();
      sq.push(e.className + "|" + e.title + "|" + (e.getAttribute("href") || "") + "|" + (r.width > 0 && r.height > 0 ? "visible" : "hidden") + "|" + getComputedStyle(e).backgroundColor);
    });
    if (sq.length) out.push(sq.join(" ; "));
  });
  document.getElementById("probe").textContent = out.join("\n");
}, 500);
</script>`

// TestHTMLInChromium opens the page in headless Chromium and checks what a
// person sees: each distribution's row with its tier and the level label of
// every minor, release names, and level cells painted in their colours.
func TestHTMLInChromium(t *testing.T) {
	t.Parallel()
	bin := chromium(t)
	dir := t.TempDir()
	page := strings.Replace(string(HTML(fixture(t))), "</body>", probe+"</body>", 1)
	file := filepath.Join(dir, "support.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	// The deadline only stops a hung browser; nothing asserts on time.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--window-size=1280,1024",
		// Virtual time: the probe's timer runs before the DOM is dumped.
		"--virtual-time-budget=5000", "--dump-dom", "file://"+file)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	m := regexp.MustCompile(`(?s)<pre id="probe">(.*?)</pre>`).FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the probe did not run; DOM:\n%s", dom)
	}
	seen := html.UnescapeString(string(m[1]))
	grid, colours, _ := strings.Cut(strings.TrimPrefix(seen, "GRID\n"), "\nCOLOURS\n")
	colours, squares, _ := strings.Cut(colours, "\nSQUARES\n")
	checkSquares(t, squares)

	// innerText separates cells with tabs and puts a cell's own lines
	// (level, release name) on lines of their own: compare the text a
	// person reads, with whitespace collapsed.
	text := strings.Join(strings.Fields(grid), " ")
	wants := []string{
		"Google Kubernetes Engine official supported supported supported",
		// Each vendor's window stands beside the level.
		"Amazon Elastic Kubernetes Service official stale std 2026-12-02 · ext 2027-12-02 qualifying std 2027-03-27 · ext 2028-03-27 failing std 2027-06-22 · ext 2028-06-22",
		"Red Hat OpenShift Container Platform beta failing 4.21 until 2027-08-03 beta 4.22 from 2026-06-03 n/a from 2026-10-03",
		"kind (Kubernetes in Docker) community n/a until 2026-10-27 community until 2027-02-28 broken until 2027-06-28",
	}
	pos := 0
	for _, w := range wants {
		i := strings.Index(text[pos:], w)
		if i < 0 {
			t.Errorf("the grid does not show %q after position %d; a person sees:\n%s", w, pos, grid)
			continue
		}
		pos += i + len(w)
	}
	for _, minor := range []string{"1.34", "1.35", "1.36"} {
		if !strings.Contains(grid, minor) {
			t.Errorf("the grid header lacks %s", minor)
		}
	}

	want := map[string]string{
		"lv-supported": "rgb(26, 127, 55)",
		"lv-failing":   "rgb(207, 34, 46)",
		"lv-stale":     "rgb(87, 96, 106)",
		"lv-broken":    "rgb(188, 76, 0)",
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(colours), "\n") {
		f := strings.SplitN(line, " ", 2)
		if len(f) != 2 {
			continue
		}
		if !strings.HasSuffix(f[1], " visible") {
			t.Errorf("level cell %s is not visible: %s", f[0], f[1])
		}
		got[f[0]] = strings.TrimSuffix(f[1], " visible")
	}
	for class, colour := range want {
		if got[class] != colour {
			t.Errorf("%s cells are painted %q, want %s", class, got[class], colour)
		}
	}
}

// checkSquares checks the history squares the page's script drew from the
// feature cells' letters: one per run, coloured, titled with the run and
// linked to the job of a run that did not pass, else to the pipeline.
func checkSquares(t *testing.T, squares string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(squares), "\n")
	if len(lines) < 10 {
		t.Fatalf("%d feature cells with history squares, want every run cell's:\n%s", len(lines), squares)
	}
	// gke 1.34 deploy: failed in pipeline #101, passed in #102 and #104.
	want := []string{
		"sq-failed|pipeline #101, 2026-04-17 06:40 UTC: failed|https://gitlab.example/product/-/jobs/1076|visible|rgb(207, 34, 46)",
		"sq-passed|pipeline #102, 2026-04-24 06:40 UTC: passed|https://gitlab.example/product/-/pipelines/102|visible|rgb(26, 127, 55)",
		"sq-passed|pipeline #104, 2026-05-01 06:40 UTC: passed|https://gitlab.example/product/-/pipelines/104|visible|rgb(26, 127, 55)",
	}
	if got := strings.Split(lines[0], " ; "); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the first feature cell's squares:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, l := range lines {
		for _, sq := range strings.Split(l, " ; ") {
			f := strings.Split(sq, "|")
			if len(f) != 5 || !strings.HasPrefix(f[0], "sq-") || f[1] == "" || strings.Contains(f[1], "undefined") || f[3] != "visible" {
				t.Errorf("square %q: want a visible, titled sq- square", sq)
			}
		}
	}
}
