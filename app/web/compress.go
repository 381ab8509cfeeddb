package web

import (
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/static"
)

// Responses are compressed (issue 12, item 5): Brotli where the browser
// accepts it, else gzip. Static files carry their own forms, made at build
// time (package static); this compresses what the handlers write: pages,
// fragments, JSON. A response that already names a Content-Encoding, has
// no body, is not text, or says it is smaller than compressMinLength goes
// out as it is.

// compressMinLength is the size under which compressing gains nothing.
const compressMinLength = 512

// Levels for answers made per request: fast, and most of the gain.
const (
	brotliLevel = 5
	gzipLevel   = gzip.DefaultCompression
)

var (
	brotliPool = sync.Pool{New: func() any { return brotli.NewWriterLevel(io.Discard, brotliLevel) }}
	gzipPool   = sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(io.Discard, gzipLevel)
		return w
	}}
)

// compressible reports whether a Content-Type is text worth compressing.
func compressible(ctype string) bool {
	ctype, _, _ = strings.Cut(ctype, ";") // before lowering: "charset=UTF-8" would cost a copy
	ctype = strings.ToLower(strings.TrimSpace(ctype))
	switch {
	case strings.HasPrefix(ctype, "text/"):
		return true
	case ctype == "application/json", ctype == "application/problem+json", ctype == "application/javascript",
		ctype == "application/xml", ctype == "image/svg+xml", ctype == "application/yaml", strings.HasSuffix(ctype, "+json"):
		return true
	}
	return false
}

// compress is the middleware.
func compress(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		accept := c.Request().Header.Get("Accept-Encoding")
		var enc string
		switch {
		case static.AcceptsEncoding(accept, "br"):
			enc = "br"
		case static.AcceptsEncoding(accept, "gzip"):
			enc = "gzip"
		}
		res := c.Response()
		cw := &compressWriter{ResponseWriter: res.Writer, enc: enc, head: c.Request().Method == http.MethodHead}
		res.Writer = cw
		err := next(c)
		cw.close()
		// An error not yet written is written by Echo's error handler,
		// after this returns: straight to the connection.
		res.Writer = cw.ResponseWriter
		return err
	}
}

// compressWriter decides at the response's first header whether to
// compress it.
type compressWriter struct {
	http.ResponseWriter
	enc     string // the coding the request accepts, "" for none
	head    bool
	decided bool
	w       io.WriteCloser // the compressor, nil when passing through
}

func (cw *compressWriter) decide(code int) {
	if cw.decided {
		return
	}
	cw.decided = true
	h := cw.Header()
	if h.Get("Content-Encoding") != "" || !compressible(h.Get("Content-Type")) {
		return
	}
	h.Add("Vary", "Accept-Encoding")
	if cw.enc == "" || cw.head || code < 200 || code == http.StatusNoContent || code == http.StatusNotModified {
		return
	}
	if n, err := strconv.Atoi(h.Get("Content-Length")); err == nil && n < compressMinLength {
		return
	}
	h.Del("Content-Length")
	h.Set("Content-Encoding", cw.enc)
	if cw.enc == "br" {
		bw := brotliPool.Get().(*brotli.Writer)
		bw.Reset(cw.ResponseWriter)
		cw.w = bw
	} else {
		gw := gzipPool.Get().(*gzip.Writer)
		gw.Reset(cw.ResponseWriter)
		cw.w = gw
	}
}

func (cw *compressWriter) WriteHeader(code int) {
	cw.decide(code)
	cw.ResponseWriter.WriteHeader(code)
}

func (cw *compressWriter) Write(b []byte) (int, error) {
	if !cw.decided {
		if cw.Header().Get("Content-Type") == "" {
			cw.Header().Set("Content-Type", http.DetectContentType(b))
		}
		cw.WriteHeader(http.StatusOK)
	}
	if cw.w != nil {
		return cw.w.Write(b)
	}
	return cw.ResponseWriter.Write(b)
}

// Flush sends what is compressed so far (a streamed response).
func (cw *compressWriter) Flush() {
	if f, ok := cw.w.(interface{ Flush() error }); ok {
		_ = f.Flush()
	}
	if f, ok := cw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (cw *compressWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }

// close ends the compressed stream and returns the compressor to its pool.
func (cw *compressWriter) close() {
	if cw.w == nil {
		return
	}
	_ = cw.w.Close()
	switch w := cw.w.(type) {
	case *brotli.Writer:
		w.Reset(io.Discard)
		brotliPool.Put(w)
	case *gzip.Writer:
		w.Reset(io.Discard)
		gzipPool.Put(w)
	}
	cw.w = nil
}
