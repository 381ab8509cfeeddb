package testutil

// Pages read whole and queried by data-testid, as component tests do.

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/html"
)

// Page is one response, read whole.
type Page struct {
	URL      string
	Status   int
	Header   http.Header
	Cookies  []*http.Cookie // the cookies the response set
	Body     string
	Location string // the Location header, if any

	once sync.Once
	doc  *html.Node
}

func send(tb testing.TB, c *http.Client, req *http.Request) *Page {
	tb.Helper()
	p, err := do(c, req)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func do(c *http.Client, req *http.Request) (*Page, error) {
	res, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read the body: %w", req.Method, req.URL.Path, err)
	}
	return &Page{URL: req.URL.String(), Status: res.StatusCode, Header: res.Header, Cookies: res.Cookies(), Body: string(b),
		Location: res.Header.Get("Location")}, nil
}

func (p *Page) find(match func(*html.Node) bool) []*html.Node {
	p.once.Do(func() {
		doc, err := html.Parse(strings.NewReader(p.Body))
		if err != nil {
			doc = &html.Node{Type: html.DocumentNode}
		}
		p.doc = doc
	})
	return FindAll(p.doc, match)
}

// ByTestID returns the elements with data-testid=id.
func (p *Page) ByTestID(id string) []*html.Node {
	return p.find(func(n *html.Node) bool { return Attr(n, "data-testid") == id })
}

// Has reports whether an element with data-testid=id is on the page.
func (p *Page) Has(id string) bool { return len(p.ByTestID(id)) > 0 }

// Text is the text of the first element with data-testid=id, with
// whitespace collapsed; "" if there is none.
func (p *Page) Text(id string) string {
	if t := p.Texts(id); len(t) > 0 {
		return t[0]
	}
	return ""
}

// Texts are the texts of every element with data-testid=id.
func (p *Page) Texts(id string) []string {
	var out []string
	for _, n := range p.ByTestID(id) {
		out = append(out, TextOf(n))
	}
	return out
}

// Attrs are the values of attribute name on every element with
// data-testid=id.
func (p *Page) Attrs(id, name string) []string {
	var out []string
	for _, n := range p.ByTestID(id) {
		out = append(out, Attr(n, name))
	}
	return out
}

// Cookie returns the cookie the response set under name, or nil.
func (p *Page) Cookie(name string) *http.Cookie {
	for _, c := range p.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Excerpt is the start of the body, for failure messages.
func (p *Page) Excerpt() string { return excerptOf(p.Body) }

func excerptOf(s string) string {
	if i := strings.Index(s, "<main"); i >= 0 {
		s = s[i:]
	}
	if len(s) > 1500 {
		s = s[:1500] + "..."
	}
	return s
}

// ParseHTML parses a page or a fragment of one. Table rows (an htmx
// "rows" fragment) only parse inside a table, so they are wrapped in one.
func ParseHTML(tb testing.TB, body string) *html.Node {
	tb.Helper()
	if strings.HasPrefix(strings.TrimSpace(body), "<tr") {
		body = "<table><tbody>" + body + "</tbody></table>"
	}
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		tb.Fatalf("parse HTML: %v", err)
	}
	return doc
}

// FindAll returns the elements under n (n included) that match, in
// document order.
func FindAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

// ByTestID returns the elements under n with data-testid=id.
func ByTestID(n *html.Node, id string) []*html.Node {
	return FindAll(n, func(n *html.Node) bool { return Attr(n, "data-testid") == id })
}

// Attr is the value of n's attribute name, or "".
func Attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// TextOf is the text of n with runs of white space collapsed, as a reader
// sees it (script and style excluded).
func TextOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style") {
			return
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// TestIDText is the text of the first element with data-testid=id in
// body; the test fails if there is none.
func TestIDText(tb testing.TB, body, id string) string {
	tb.Helper()
	nodes := ByTestID(ParseHTML(tb, body), id)
	if len(nodes) == 0 {
		tb.Fatalf("no element with data-testid=%q\nbody: %s", id, excerptOf(body))
	}
	return TextOf(nodes[0])
}
