package testutil

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// PNG is a w × h PNG image in one colour, for logo tests.
func PNG(tb testing.TB, w, h int, c color.Color) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, solid(w, h, c)); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// JPEG is a w × h JPEG image in one colour, for logo tests.
func JPEG(tb testing.TB, w, h int, c color.Color) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, solid(w, h, c), nil); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func solid(w, h int, c color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	return img
}

// LogoSVG is a small, clean SVG logo: a blue square with a white mark.
const LogoSVG = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40" width="120" height="40">
  <title>Northwind</title>
  <rect width="40" height="40" rx="8" fill="#0f4c81"/>
  <path d="M10 30V10l20 20V10" fill="none" stroke="#fff" stroke-width="4"/>
  <text x="48" y="27" font-family="sans-serif" font-size="16" fill="#0f4c81">Northwind</text>
</svg>`
