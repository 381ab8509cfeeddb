// Package static embeds the built CSS, htmx, the app's script and the source
// logos, and serves them under content-hashed names with a long cache. Each
// file's Brotli and gzip forms, made at build time (npm run build), are
// served to browsers that accept them, with Vary: Accept-Encoding.
package static

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed app.css invitee.css htmx.min.js js/app.js js/localtime.js logos/*.svg
//go:embed *.br *.gz js/*.br js/*.gz logos/*.br logos/*.gz
var FS embed.FS

// encodings are the pre-compressed forms, in the order they are preferred.
var encodings = []struct{ name, ext string }{{"br", ".br"}, {"gzip", ".gz"}}

// compressed reports whether name is a pre-compressed form of another file.
func compressed(name string) bool {
	return strings.HasSuffix(name, ".br") || strings.HasSuffix(name, ".gz")
}

// AcceptsEncoding reports whether an Accept-Encoding header value accepts
// coding: named (or "*") with a q-value other than 0.
func AcceptsEncoding(header, coding string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.TrimSpace(name)
		if !strings.EqualFold(name, coding) && name != "*" {
			continue
		}
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		if q > 0 {
			return true
		}
	}
	return false
}

var (
	once   sync.Once
	hashed map[string]string // name -> hashed name
	urls   map[string]string // name -> "/static/" + hashed name (Path, once per file)
	plain  map[string]string // hashed name -> name
)

func index() {
	hashed, plain, urls = map[string]string{}, map[string]string{}, map[string]string{}
	_ = fs.WalkDir(FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || compressed(name) {
			return err
		}
		b, err := FS.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(name)
		h := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		hashed[name] = h
		urls[name] = "/static/" + h
		plain[h] = name
		return nil
	})
}

// Path returns the URL of an embedded file under its hashed name, for
// example /static/app.1a2b3c4d5e.css. An unknown name gets its plain path.
func Path(name string) string {
	once.Do(index)
	if u, ok := urls[strings.TrimPrefix(name, "/")]; ok {
		return u
	}
	return "/static/" + strings.TrimPrefix(name, "/")
}

// Has reports whether name is an embedded file.
func Has(name string) bool {
	once.Do(index)
	_, ok := hashed[name]
	return ok
}

// Handler serves files under /static/. Hashed names are cached for a year;
// plain names (used by bookmarks or old pages) revalidate.
func Handler() http.Handler {
	once.Do(index)
	files := http.FileServer(http.FS(FS))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if orig, ok := plain[name]; ok {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			name = orig
		} else if _, ok := hashed[name]; ok {
			w.Header().Set("Cache-Control", "public, max-age=300")
		} else {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if serveCompressed(w, r, name) {
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		files.ServeHTTP(w, r2)
	})
}

// serveCompressed answers with the pre-compressed form of name that the
// request accepts, if there is one, and reports whether it did. Files that
// have such forms always say Vary: Accept-Encoding, so a cache keeps the
// forms apart.
func serveCompressed(w http.ResponseWriter, r *http.Request, name string) bool {
	accept := r.Header.Get("Accept-Encoding")
	varies := false
	for _, enc := range encodings {
		b, err := FS.ReadFile(name + enc.ext)
		if err != nil {
			continue
		}
		varies = true
		if !AcceptsEncoding(accept, enc.name) {
			continue
		}
		h := w.Header()
		h.Add("Vary", "Accept-Encoding")
		h.Set("Content-Encoding", enc.name)
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		h.Set("Content-Type", ctype)
		// No ranges over a compressed body: ServeContent would cut the
		// encoded bytes.
		r2 := r.Clone(r.Context())
		r2.Header.Del("Range")
		http.ServeContent(w, r2, "", time.Time{}, bytes.NewReader(b))
		return true
	}
	if varies {
		w.Header().Add("Vary", "Accept-Encoding")
	}
	return false
}
