package static

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

// TestPrecompressed: the build's .br and .gz forms are served to browsers
// that accept them, decode to the file itself, and every answer for a file
// that has them says Vary: Accept-Encoding (issue 12, item 5).
func TestPrecompressed(t *testing.T) {
	for _, name := range []string{"app.css", "invitee.css", "js/localtime.js", "logos/sandbox.svg"} {
		want, err := FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ accept, encoding string }{
			{"gzip, deflate, br, zstd", "br"},
			{"gzip", "gzip"},
			{"br;q=0, gzip;q=0.5", "gzip"},
			{"", ""},
			{"identity", ""},
			{"*;q=0", ""},
		} {
			req := httptest.NewRequest(http.MethodGet, Path(name), nil)
			req.Header.Set("Accept-Encoding", tc.accept)
			rec := httptest.NewRecorder()
			Handler().ServeHTTP(rec, req)
			res := rec.Result()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("%s (%q): status %d", name, tc.accept, res.StatusCode)
			}
			if got := res.Header.Get("Content-Encoding"); got != tc.encoding {
				t.Errorf("%s (%q): Content-Encoding %q, want %q", name, tc.accept, got, tc.encoding)
			}
			if got := res.Header.Get("Vary"); got != "Accept-Encoding" {
				t.Errorf("%s (%q): Vary %q", name, tc.accept, got)
			}
			if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "css") && !strings.Contains(ct, "javascript") && !strings.Contains(ct, "svg") {
				t.Errorf("%s: Content-Type %q", name, ct)
			}
			var body io.Reader = res.Body
			switch tc.encoding {
			case "br":
				body = brotli.NewReader(res.Body)
			case "gzip":
				if body, err = gzip.NewReader(res.Body); err != nil {
					t.Fatal(err)
				}
			}
			got, err := io.ReadAll(body)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s (%q): the body does not decode to the file", name, tc.accept)
			}
			if tc.encoding != "" && rec.Body.Len() >= len(want) {
				t.Errorf("%s (%s): %d bytes, not smaller than %d", name, tc.encoding, rec.Body.Len(), len(want))
			}
		}
	}
}

// TestPrecompressedFresh: each .br and .gz form decodes to the file it
// stands for, so a file changed without npm run build is caught here too.
func TestPrecompressedFresh(t *testing.T) {
	for name := range plainNames() {
		want, _ := FS.ReadFile(name)
		for ext, open := range map[string]func(io.Reader) (io.Reader, error){
			".br": func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil },
			".gz": func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) },
		} {
			b, err := FS.ReadFile(name + ext)
			if err != nil {
				if strings.HasSuffix(name, ".css") || strings.HasSuffix(name, ".js") {
					t.Errorf("%s has no %s form: run npm run build", name, ext)
				}
				continue
			}
			r, err := open(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s%s does not decode to %s: run npm run build", name, ext, name)
			}
		}
	}
}

func plainNames() map[string]bool {
	once.Do(index)
	out := map[string]bool{}
	for name := range hashed {
		out[name] = true
	}
	return out
}

func TestAcceptsEncoding(t *testing.T) {
	for _, tc := range []struct {
		header, coding string
		want           bool
	}{
		{"gzip, deflate, br", "br", true},
		{"gzip, deflate", "br", false},
		{"BR", "br", true},
		{"br;q=0", "br", false},
		{"br; q=0.0, gzip", "br", false},
		{"br;q=0.1", "br", true},
		{"*", "gzip", true},
		{"", "gzip", false},
	} {
		if got := AcceptsEncoding(tc.header, tc.coding); got != tc.want {
			t.Errorf("AcceptsEncoding(%q, %q) = %v", tc.header, tc.coding, got)
		}
	}
}
