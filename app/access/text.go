package access

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// CleanText makes text that came from a request or a provider safe to
// store and show: invalid UTF-8 becomes U+FFFD, NUL, other control
// characters (tabs and newlines become spaces) and bidirectional
// formatting characters are dropped, runs of spaces collapse, and the
// result is cut to at most max bytes on a rune boundary.
func CleanText(s string, max int) string {
	if cleanASCII(s, max) {
		return s // already what the loop below would make of it: no copy
	}
	return cleanText(s, max)
}

// cleanASCII reports whether CleanText(s, max) is s: printable ASCII and
// single spaces between words, within max bytes. A request's method and
// address, logged with every request, nearly always are.
func cleanASCII(s string, max int) bool {
	if len(s) > max || (len(s) > 0 && (s[0] == ' ' || s[len(s)-1] == ' ')) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || (c == ' ' && s[i-1] == ' ') {
			return false
		}
	}
	return true
}

func cleanText(s string, max int) string {
	var b strings.Builder
	b.Grow(min(len(s), max))
	space := false
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		switch {
		case r == utf8.RuneError && size == 1:
			r = utf8.RuneError
		case r == '\t' || r == '\n' || r == '\r' || r == ' ':
			space = b.Len() > 0
			continue
		case unicode.IsControl(r) || isBidiControl(r) || r == '\uFEFF':
			continue
		}
		n := utf8.RuneLen(r)
		if space {
			n++
		}
		if b.Len()+n > max {
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isBidiControl reports the characters that reorder text on screen
// (embeddings, overrides, isolates and marks), which let a string read
// differently from what it is.
func isBidiControl(r rune) bool {
	switch {
	case r == '\u061C', r == '\u200E', r == '\u200F':
		return true
	case r >= '\u202A' && r <= '\u202E':
		return true
	case r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}
