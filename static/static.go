// Package static embeds the built CSS, htmx, the app's script and the source
// logos, and serves them under content-hashed names with a long cache.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
)

//go:embed app.css htmx.min.js js/app.js js/localtime.js logos/*.svg
var FS embed.FS

var (
	once   sync.Once
	hashed map[string]string // name -> hashed name
	plain  map[string]string // hashed name -> name
)

func index() {
	hashed, plain = map[string]string{}, map[string]string{}
	_ = fs.WalkDir(FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
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
		plain[h] = name
		return nil
	})
}

// Path returns the URL of an embedded file under its hashed name, for
// example /static/app.1a2b3c4d5e.css. An unknown name gets its plain path.
func Path(name string) string {
	once.Do(index)
	if h, ok := hashed[strings.TrimPrefix(name, "/")]; ok {
		return "/static/" + h
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
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		files.ServeHTTP(w, r2)
	})
}
