package access

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image"
	_ "image/jpeg" // decoders for image.DecodeConfig and image.Decode
	_ "image/png"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// Logo limits (SECURITY.md 32): the type is read from the bytes, never
// from the file's name; the size and the dimensions are capped; an SVG is
// rebuilt from an allow-list of elements and attributes, and refused when
// it holds script, event handlers or references outside itself.
const (
	// MaxLogoBytes is the largest logo accepted.
	MaxLogoBytes = 256 << 10
	// MinLogoSide and MaxLogoSide bound a raster logo's width and height
	// in pixels (and an SVG's declared size).
	MinLogoSide = 24
	MaxLogoSide = 2048
	// maxLogoAspect is the widest (or tallest) shape accepted: a
	// wordmark fits, a banner does not.
	maxLogoAspect = 10
	// svgMaxDepth and svgMaxElements bound an SVG's tree.
	svgMaxDepth    = 48
	svgMaxElements = 10000
)

// Logo types, as served.
const (
	LogoPNG  = "image/png"
	LogoJPEG = "image/jpeg"
	LogoSVG  = "image/svg+xml"
)

// LogoExt is the file extension of a logo type, for its URL.
func LogoExt(typ string) string {
	switch typ {
	case LogoPNG:
		return ".png"
	case LogoJPEG:
		return ".jpg"
	case LogoSVG:
		return ".svg"
	}
	return ""
}

// CheckedLogo is an uploaded logo that passed the checks: Data is what is
// stored and served (for an SVG, the sanitised document).
type CheckedLogo struct {
	Data          []byte
	Type          string
	Width, Height int
}

// logoInvalid is a refused logo: reason (a ReasonLogo*/ReasonSVG*
// constant, so that pages word it) and its params, for both the error and
// its logo field; msg is the API's detail.
func logoInvalid(reason string, params map[string]string, msg string) *Error {
	return (&Error{Code: EINVALID, Reason: reason, Params: params, Message: msg}).
		withField("logo", &FieldMessage{Reason: reason, Params: params, Text: msg})
}

// CheckLogo reads an uploaded file's bytes and returns the logo to store,
// or an EINVALID error that says what is wrong with it.
func CheckLogo(data []byte) (*CheckedLogo, error) {
	switch {
	case len(data) == 0:
		return nil, logoInvalid(ReasonLogoMissing, nil, "Choose a logo file to upload.")
	case len(data) > MaxLogoBytes:
		return nil, logoInvalid(ReasonLogoTooBig, nil, "The logo is larger than 256 KB. Export a smaller file, or use SVG.")
	}
	switch http.DetectContentType(data) {
	case LogoPNG:
		return checkRaster(data, LogoPNG)
	case LogoJPEG:
		return checkRaster(data, LogoJPEG)
	}
	if looksLikeXML(data) {
		return checkSVG(data)
	}
	return nil, logoInvalid(ReasonLogoNotImage, nil, "The file is not a PNG, JPEG or SVG image.")
}

func checkRaster(data []byte, typ string) (*CheckedLogo, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, logoInvalid(ReasonLogoUnreadable, nil, "The image could not be read. It may be damaged; export it again.")
	}
	if err := checkSize(float64(cfg.Width), float64(cfg.Height)); err != nil {
		return nil, err
	}
	// The whole image must decode (a truncated file fails here); the
	// dimensions were capped first, so this allocates at most 16 MB.
	if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
		return nil, logoInvalid(ReasonLogoUnreadable, nil, "The image could not be read. It may be damaged; export it again.")
	}
	return &CheckedLogo{Data: data, Type: typ, Width: cfg.Width, Height: cfg.Height}, nil
}

func checkSize(w, h float64) error {
	switch {
	case w < MinLogoSide || h < MinLogoSide:
		return logoInvalid(ReasonLogoTooSmall, map[string]string{"min": strconv.Itoa(MinLogoSide)}, "The logo is too small: it must be at least "+strconv.Itoa(MinLogoSide)+" × "+strconv.Itoa(MinLogoSide)+" pixels.")
	case w > MaxLogoSide || h > MaxLogoSide:
		return logoInvalid(ReasonLogoTooLarge, map[string]string{"max": strconv.Itoa(MaxLogoSide)}, "The logo is too large: at most "+strconv.Itoa(MaxLogoSide)+" × "+strconv.Itoa(MaxLogoSide)+" pixels.")
	case w > maxLogoAspect*h || h > maxLogoAspect*w:
		return logoInvalid(ReasonLogoAspect, nil, "The logo is too narrow or too wide: at most 10 times as wide as it is tall, or the other way round.")
	}
	return nil
}

// looksLikeXML reports whether data starts, after an optional byte order
// mark and white space, with "<".
func looksLikeXML(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && data[0] == '<'
}

const (
	svgNS   = "http://www.w3.org/2000/svg"
	xlinkNS = "http://www.w3.org/1999/xlink"
)

// svgElements are the elements kept: shapes, text, groups, gradients,
// clips and masks. Anything else (metadata, editors' own elements,
// filters, animation, images) is dropped with everything inside it;
// svgRefused are refused outright.
var svgElements = map[string]bool{
	"svg": true, "g": true, "defs": true, "title": true, "desc": true, "symbol": true, "use": true,
	"path": true, "rect": true, "circle": true, "ellipse": true, "line": true, "polyline": true, "polygon": true,
	"text": true, "tspan": true, "linearGradient": true, "radialGradient": true, "stop": true,
	"clipPath": true, "mask": true, "pattern": true, "style": true,
}

var svgRefused = map[string][2]string{ // reason, message
	"script":        {ReasonSVGScript, svgScript},
	"foreignObject": {ReasonSVGForeignObject, "The SVG embeds HTML (foreignObject), which logos may not. Export it again as plain shapes."},
	"iframe":        {ReasonSVGEmbedsPage, "The SVG embeds another page, which logos may not."},
	"embed":         {ReasonSVGEmbedsDocument, svgEmbedsDocument},
	"object":        {ReasonSVGEmbedsDocument, svgEmbedsDocument},
	"image":         {ReasonSVGEmbedsImage, svgEmbedsImage},
	"feImage":       {ReasonSVGEmbedsImage, svgEmbedsImage},
	"a":             {ReasonSVGLink, "The SVG contains a link, which logos may not."},
	"handler":       {ReasonSVGScript, svgScript},
	"listener":      {ReasonSVGScript, svgScript},
}

const (
	svgScript         = "The SVG contains a script. Logos may not run scripts; export it again without one."
	svgEmbedsDocument = "The SVG embeds another document, which logos may not."
	svgEmbedsImage    = "The SVG embeds an image. Upload that image itself (PNG or JPEG), or export the SVG as plain shapes."
)

// svgAttributes are the attributes kept (on any kept element); others are
// dropped. Event handlers (on*) are refused before this list is read.
var svgAttributes = map[string]bool{
	"id": true, "class": true, "style": true, "x": true, "y": true, "x1": true, "y1": true, "x2": true, "y2": true,
	"cx": true, "cy": true, "r": true, "rx": true, "ry": true, "fx": true, "fy": true, "fr": true, "dx": true, "dy": true,
	"width": true, "height": true, "d": true, "points": true, "viewBox": true, "preserveAspectRatio": true,
	"transform": true, "fill": true, "fill-opacity": true, "fill-rule": true, "stroke": true, "stroke-width": true,
	"stroke-linecap": true, "stroke-linejoin": true, "stroke-miterlimit": true, "stroke-dasharray": true,
	"stroke-dashoffset": true, "stroke-opacity": true, "opacity": true, "clip-path": true, "clip-rule": true,
	"mask": true, "offset": true, "stop-color": true, "stop-opacity": true, "gradientUnits": true,
	"gradientTransform": true, "spreadMethod": true, "patternUnits": true, "patternContentUnits": true,
	"patternTransform": true, "maskUnits": true, "maskContentUnits": true, "clipPathUnits": true,
	"font-family": true, "font-size": true, "font-weight": true, "font-style": true, "text-anchor": true,
	"dominant-baseline": true, "letter-spacing": true, "display": true, "visibility": true, "color": true,
	"vector-effect": true, "shape-rendering": true, "paint-order": true, "version": true, "href": true,
}

// svgURL finds url(...) references in attribute values and style sheets;
// only references inside the document (url(#id)) are allowed.
var svgURL = regexp.MustCompile(`(?i)url\s*\(\s*['"]?\s*([^'")\s]*)`)

// unsafeSVGValue returns why an attribute value or style sheet may not be
// kept, or nil.
func unsafeSVGValue(v string) *Error {
	low := strings.ToLower(strings.Join(strings.Fields(v), ""))
	switch {
	case strings.Contains(low, "javascript:") || strings.Contains(low, "vbscript:"):
		return logoInvalid(ReasonSVGScript, nil, svgScript)
	case strings.Contains(low, "@import") || strings.Contains(low, "expression(") || strings.Contains(v, `\`):
		return logoInvalid(ReasonSVGStyles, nil, "The SVG's styles load or run something. Export it again with plain colours.")
	}
	for _, m := range svgURL.FindAllStringSubmatch(v, -1) {
		if !strings.HasPrefix(m[1], "#") {
			f := cutRunes(m[1], 60)
			return logoInvalid(ReasonSVGExternalFile, map[string]string{"file": f}, "The SVG refers to a file outside itself ("+f+"). Logos must be self-contained.")
		}
	}
	return nil
}

func cutRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// checkSVG parses an SVG document and rebuilds it from the allow-lists:
// the stored document holds only known elements and attributes, no
// comments, processing instructions or DOCTYPE, and no reference outside
// itself. A script, an event handler or an outside reference refuses the
// file (EINVALID) rather than being quietly dropped, so the owner learns
// why the logo looks different.
func checkSVG(data []byte) (*CheckedLogo, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var out bytes.Buffer
	depth, skip, elements, root := 0, 0, 0, false
	var w, h float64
	var open []string // the kept elements, innermost last
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, logoInvalid(ReasonSVGNotXML, nil, "The SVG could not be read: it is not well-formed XML.")
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, logoInvalid(ReasonSVGDoctype, nil, "The SVG has a DOCTYPE or entity declarations, which logos may not. Export it again without them.")
		case xml.StartElement:
			depth++
			elements++
			if depth > svgMaxDepth || elements > svgMaxElements {
				return nil, logoInvalid(ReasonSVGTooComplex, nil, "The SVG is too complex. Simplify it, or upload a PNG.")
			}
			if r, ok := svgRefused[t.Name.Local]; ok {
				return nil, logoInvalid(r[0], nil, r[1])
			}
			for _, a := range t.Attr {
				if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
					return nil, logoInvalid(ReasonSVGEventHandler, map[string]string{"name": cutRunes(a.Name.Local, 40)}, "The SVG has an event handler ("+cutRunes(a.Name.Local, 40)+"), which can run scripts. Export it again without one.")
				}
				if e := unsafeSVGValue(a.Value); e != nil && keptAttr(a) {
					return nil, e
				}
				if a.Name.Local == "href" && !strings.HasPrefix(strings.TrimSpace(a.Value), "#") {
					return nil, logoInvalid(ReasonSVGExternalRef, nil, "The SVG refers to a file outside itself. Logos must be self-contained.")
				}
			}
			if depth == 1 {
				if t.Name.Local != "svg" || t.Name.Space != svgNS {
					return nil, logoInvalid(ReasonSVGNotSVG, nil, "The file is not an SVG image (its root is not an <svg> element).")
				}
				root = true
				var err error
				if w, h, err = svgSize(t); err != nil {
					return nil, err
				}
			}
			if skip > 0 || t.Name.Space != svgNS || !svgElements[t.Name.Local] {
				skip++
				continue
			}
			open = append(open, t.Name.Local)
			out.WriteString("<" + t.Name.Local)
			if depth == 1 {
				out.WriteString(` xmlns="` + svgNS + `"`)
			}
			for _, a := range t.Attr {
				if !keptAttr(a) {
					continue
				}
				out.WriteString(" " + a.Name.Local + `="`)
				_ = xml.EscapeText(&out, []byte(a.Value))
				out.WriteString(`"`)
			}
			out.WriteString(">")
		case xml.EndElement:
			depth--
			if skip > 0 {
				skip--
				continue
			}
			open = open[:len(open)-1]
			out.WriteString("</" + t.Name.Local + ">")
		case xml.CharData:
			if skip > 0 || depth == 0 {
				continue
			}
			if open[len(open)-1] == "style" { // a style sheet: the same rules as a style attribute
				if e := unsafeSVGValue(string(t)); e != nil {
					return nil, e
				}
			}
			_ = xml.EscapeText(&out, t)
		}
		// Comments and processing instructions are dropped.
	}
	if !root {
		return nil, logoInvalid(ReasonLogoNotImage, nil, "The file is not a PNG, JPEG or SVG image.")
	}
	return &CheckedLogo{Data: out.Bytes(), Type: LogoSVG, Width: int(math.Round(w)), Height: int(math.Round(h))}, nil
}

// keptAttr reports whether an attribute survives sanitising: a listed
// attribute without a namespace, or xlink:href, written as href.
func keptAttr(a xml.Attr) bool {
	if a.Name.Space == xlinkNS && a.Name.Local == "href" {
		return true
	}
	return a.Name.Space == "" && svgAttributes[a.Name.Local]
}

// svgSize is the size an SVG declares: its viewBox's, else its width and
// height in pixels. An SVG scales freely, so only its shape is checked;
// one that declares no size cannot be laid out as a logo.
func svgSize(t xml.StartElement) (float64, float64, error) {
	var w, h float64
	for _, a := range t.Attr {
		if a.Name.Space != "" {
			continue
		}
		switch a.Name.Local {
		case "width":
			w = svgLength(a.Value)
		case "height":
			h = svgLength(a.Value)
		}
	}
	for _, a := range t.Attr {
		if a.Name.Space != "" || a.Name.Local != "viewBox" {
			continue
		}
		f := strings.FieldsFunc(a.Value, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' || r == '\r' })
		if len(f) != 4 {
			break
		}
		vw, err1 := strconv.ParseFloat(f[2], 64)
		vh, err2 := strconv.ParseFloat(f[3], 64)
		if err1 == nil && err2 == nil && vw > 0 && vh > 0 && !math.IsInf(vw, 0) && !math.IsInf(vh, 0) {
			w, h = vw, vh
		}
	}
	if w <= 0 || h <= 0 {
		return 0, 0, logoInvalid(ReasonSVGNoSize, nil, "The SVG declares no size: give its <svg> element a viewBox, or a width and a height.")
	}
	if w > maxLogoAspect*h || h > maxLogoAspect*w {
		return 0, 0, logoInvalid(ReasonLogoAspect, nil, "The logo is too narrow or too wide: at most 10 times as wide as it is tall, or the other way round.")
	}
	return w, h, nil
}

// svgLength reads a length in pixels ("120", "120px"); other units and
// percentages are 0 (unknown).
func svgLength(v string) float64 {
	v = strings.TrimSuffix(strings.TrimSpace(v), "px")
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}
