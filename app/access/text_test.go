package access

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		max      int
		want     string
	}{
		{"Plain", "Mozilla/5.0 (X11)", 400, "Mozilla/5.0 (X11)"},
		{"InvalidUTF8", "a\xffb", 400, "a\uFFFDb"},
		{"NUL", "a\x00b", 400, "ab"},
		{"Controls", "a\x1b[31mb\x7f", 400, "a[31mb"},
		{"NewlinesCollapse", "line one\r\n\tline  two\n", 400, "line one line two"},
		{"Bidi", "file\u202Etxt.exe\u2066x\u2069", 400, "filetxt.exex"},
		{"CutOnRune", strings.Repeat("a", 399) + "é", 400, strings.Repeat("a", 399)},
		{"CutExact", "abcdef", 3, "abc"},
		{"NoTrailingSpace", "abc   ", 10, "abc"},
		{"SpaceThenCut", "ab cd", 3, "ab"},
		{"LeadingSpace", " ab", 10, "ab"},
		{"DoubleSpace", "a  b", 10, "a b"},
		{"Empty", "", 10, ""},
		{"IP", "192.0.2.1", 64, "192.0.2.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := CleanText(tc.in, tc.max)
			if got != tc.want {
				t.Fatalf("CleanText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
		})
	}
}

// TestCleanTextASCII checks the shortcut for text that is already clean
// against the full loop, on every string of up to four bytes drawn from
// characters at its edges (space, controls, DEL, the printable ends, a
// byte above ASCII) and every max up to five.
func TestCleanTextASCII(t *testing.T) {
	alphabet := []byte{' ', '\t', '\x00', '\x1f', '!', 'a', '~', '\x7f', '\xc3'}
	var walk func(s []byte)
	n := 0
	walk = func(s []byte) {
		for max := range 6 {
			if got, want := CleanText(string(s), max), cleanText(string(s), max); got != want {
				t.Fatalf("CleanText(%q, %d) = %q, the full loop %q", s, max, got, want)
			}
			n++
		}
		if len(s) == 4 {
			return
		}
		for _, c := range alphabet {
			walk(append(s, c))
		}
	}
	walk(nil)
	if n < 6*6000 {
		t.Fatalf("checked %d cases", n)
	}
}

func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "a\xffb", strings.Repeat("é", 300), "\u202Eabc", "a\x00b"} {
		f.Add(s, 400)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 1<<16 {
			t.Skip()
		}
		got := CleanText(s, max)
		if len(got) > max {
			t.Fatalf("len %d > max %d", len(got), max)
		}
		if !utf8.ValidString(got) || strings.ContainsRune(got, 0) {
			t.Fatalf("not clean: %q", got)
		}
		for _, r := range got {
			if isBidiControl(r) {
				t.Fatalf("bidi control kept: %q", got)
			}
		}
	})
}
