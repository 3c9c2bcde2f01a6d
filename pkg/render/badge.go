package render

import (
	"bytes"
	"fmt"
	"html"

	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
)

// levelColors are the badge and HTML colours of the levels; each is dark
// enough for white text (WCAG AA for the badge's bold 11px text) except
// untested and n/a, which use dark text.
var levelColors = map[report.Level]string{
	report.Supported:     "#1a7f37",
	report.Qualifying:    "#0969da",
	report.Beta:          "#8250df",
	report.Community:     "#0e7490",
	report.Deprecated:    "#9a6700",
	report.Failing:       "#cf222e",
	report.Stale:         "#57606a",
	report.Broken:        "#bc4c00",
	report.Untested:      "#d0d7de",
	report.NotApplicable: "#f6f8fa",
}

// darkText reports whether a level's colour needs dark text.
func darkText(l report.Level) bool { return l == report.Untested || l == report.NotApplicable }

// BadgeFile is one badge to write: Name is "<distribution id>.svg".
type BadgeFile struct {
	Name string
	Data []byte
}

// Badges returns one badge per distribution, in table order.
func Badges(r *report.Report) []BadgeFile {
	out := make([]BadgeFile, 0, len(r.Distributions))
	for _, d := range r.Distributions {
		out = append(out, BadgeFile{Name: d.ID + ".svg", Data: DistributionBadge(d)})
	}
	return out
}

// DistributionBadge is a distribution's badge: its id on the left, on the
// right its best level and the minors at that level ("supported
// 1.35–1.37"), coloured by level.
func DistributionBadge(d *report.Distribution) []byte {
	level, _ := d.Summary()
	msg := string(level)
	if level != report.NotApplicable {
		msg += " " + minorRanges(d, level)
	}
	return Badge(d.ID, msg, level)
}

// Badge draws a flat badge in the style of shields.io: label on grey,
// message on the level's colour. Text widths come from a fixed table of
// Verdana 11px advance widths, so the SVG is the same everywhere.
func Badge(label, message string, level report.Level) []byte {
	color, ok := levelColors[level]
	if !ok {
		color = levelColors[report.Untested]
	}
	fg, shadow := "#fff", "#010101"
	if darkText(level) {
		fg, shadow = "#24292f", "#fff"
	}
	lw := textWidth(label) + 10
	mw := textWidth(message) + 10
	w := lw + mw
	title := html.EscapeString(label + ": " + message)
	l, m := html.EscapeString(label), html.EscapeString(message)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="20" role="img" aria-label="%s">`, w, title)
	fmt.Fprintf(&b, `<title>%s</title>`, title)
	b.WriteString(`<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`)
	fmt.Fprintf(&b, `<clipPath id="r"><rect width="%d" height="20" rx="3" fill="#fff"/></clipPath>`, w)
	fmt.Fprintf(&b, `<g clip-path="url(#r)"><rect width="%d" height="20" fill="#555"/><rect x="%d" width="%d" height="20" fill="%s"/><rect width="%d" height="20" fill="url(#s)"/></g>`, lw, lw, mw, color, w)
	b.WriteString(`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">`)
	text := func(x, width int, s, fill, shadowFill string) {
		fmt.Fprintf(&b, `<text aria-hidden="true" x="%d" y="150" fill="%s" fill-opacity=".3" transform="scale(.1)" textLength="%d">%s</text>`, x, shadowFill, width, s)
		fmt.Fprintf(&b, `<text x="%d" y="140" transform="scale(.1)" fill="%s" textLength="%d">%s</text>`, x, fill, width, s)
	}
	text(lw*5, (lw-10)*10, l, "#fff", "#010101")
	text(lw*10+mw*5, (mw-10)*10, m, fg, shadow)
	b.WriteString("</g></svg>\n")
	return b.Bytes()
}

// textWidth estimates a string's width in whole pixels in Verdana 11px,
// from advance widths in tenths of a pixel; unknown runes count as 7px.
func textWidth(s string) int {
	tenths := 0
	for _, r := range s {
		w, ok := verdana11[r]
		if !ok {
			w = 70
		}
		tenths += w
	}
	return (tenths + 9) / 10
}

// verdana11 holds Verdana's advance widths at 11px, in tenths of a pixel.
var verdana11 = map[rune]int{
	' ': 39, '!': 43, '"': 50, '#': 90, '$': 70, '%': 119, '&': 80, '\'': 29, '(': 50, ')': 50,
	'*': 70, '+': 90, ',': 40, '-': 50, '.': 40, '/': 50, ':': 50, ';': 50, '<': 90, '=': 90,
	'>': 90, '?': 60, '@': 110, '[': 50, '\\': 50, ']': 50, '^': 90, '_': 70, '`': 70, '{': 70,
	'|': 50, '}': 70, '~': 90, '–': 70, '—': 110, '×': 90, '·': 40,
	'0': 70, '1': 70, '2': 70, '3': 70, '4': 70, '5': 70, '6': 70, '7': 70, '8': 70, '9': 70,
	'A': 75, 'B': 76, 'C': 77, 'D': 85, 'E': 70, 'F': 63, 'G': 85, 'H': 83, 'I': 46, 'J': 49,
	'K': 76, 'L': 63, 'M': 94, 'N': 82, 'O': 87, 'P': 66, 'Q': 87, 'R': 77, 'S': 75, 'T': 68,
	'U': 81, 'V': 75, 'W': 109, 'X': 76, 'Y': 68, 'Z': 76,
	'a': 66, 'b': 69, 'c': 57, 'd': 69, 'e': 66, 'f': 39, 'g': 69, 'h': 70, 'i': 30, 'j': 38,
	'k': 65, 'l': 30, 'm': 107, 'n': 70, 'o': 67, 'p': 69, 'q': 69, 'r': 47, 's': 57, 't': 43,
	'u': 70, 'v': 65, 'w': 90, 'x': 65, 'y': 65, 'z': 57,
}
