package api

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/views"
)

// docs is GET /api/v1/docs: the reference, rendered on the server from the
// OpenAPI document (no script, no CDN: it works offline under the CSP).
func (a *API) docs(c echo.Context) error {
	var buf bytes.Buffer
	if err := views.APIDocsPage(a.docsModel()).Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

// docsModel is what the reference page shows, read from the OpenAPI
// document.
func (a *API) docsModel() *views.APIDocs {
	o := a.api().huma.OpenAPI()
	d := &views.APIDocs{Title: o.Info.Title, Version: o.Info.Version, Description: o.Info.Description}
	groups := map[string]*views.APIDocGroup{}
	var order []string
	// Operations in the order routes() declares them.
	for _, op := range a.operations() {
		tag := "Other"
		if len(op.Tags) > 0 {
			tag = op.Tags[0]
		}
		g := groups[tag]
		if g == nil {
			g = &views.APIDocGroup{Name: tag}
			groups[tag] = g
			order = append(order, tag)
		}
		g.Operations = append(g.Operations, docOperation(op))
	}
	for _, t := range order {
		d.Groups = append(d.Groups, *groups[t])
	}
	schemas := o.Components.Schemas.Map()
	names := make([]string, 0, len(schemas))
	for n := range schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := schemas[n]
		d.Schemas = append(d.Schemas, views.APIDocSchema{Name: n, Description: s.Description, Fields: docProperties(s)})
	}
	for _, p := range ProblemTypes {
		d.Problems = append(d.Problems, views.APIDocProblem{Code: p.Code, Type: ProblemTypeBase + p.Code, Status: p.Status, Title: p.Title, When: p.When})
	}
	return d
}

// operations are the API's operations in declaration order.
func (a *API) operations() []*huma.Operation {
	var ops []*huma.Operation
	for _, item := range a.api().huma.OpenAPI().Paths {
		for _, op := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
			if op != nil {
				ops = append(ops, op)
			}
		}
	}
	rank := map[string]int{}
	for i, id := range a.declared {
		rank[id] = i
	}
	sort.Slice(ops, func(i, j int) bool { return rank[ops[i].OperationID] < rank[ops[j].OperationID] })
	return ops
}

func docOperation(op *huma.Operation) views.APIDocOperation {
	out := views.APIDocOperation{ID: op.OperationID, Method: op.Method, Path: op.Path, Summary: op.Summary, Description: op.Description}
	for _, p := range op.Parameters {
		f := docField(p.Name, p.Schema, p.Required)
		f.In = p.In
		if p.Description != "" {
			f.Description = p.Description
		}
		out.Params = append(out.Params, f)
	}
	if op.RequestBody != nil {
		for _, mt := range op.RequestBody.Content {
			out.Body = refName(mt.Schema)
		}
	}
	codes := make([]string, 0, len(op.Responses))
	for code := range op.Responses {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	// Problems are listed once, by status, after the answers.
	var problems []string
	for _, code := range codes {
		r := op.Responses[code]
		dr := views.APIDocResponse{Status: code, Description: r.Description}
		for ct, mt := range r.Content {
			dr.ContentType, dr.Schema = ct, refName(mt.Schema)
		}
		if dr.ContentType == "application/problem+json" {
			problems = append(problems, code)
			continue
		}
		out.Responses = append(out.Responses, dr)
	}
	if len(problems) > 0 {
		out.Responses = append(out.Responses, views.APIDocResponse{Status: strings.Join(problems, ", "),
			Description: "a problem", Schema: "Problem", ContentType: "application/problem+json"})
	}
	return out
}

func docProperties(s *huma.Schema) []views.APIDocField {
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]views.APIDocField, 0, len(names))
	for _, n := range names {
		out = append(out, docField(n, s.Properties[n], required[n]))
	}
	return out
}

func docField(name string, s *huma.Schema, required bool) views.APIDocField {
	f := views.APIDocField{Name: name, Required: required}
	if s == nil {
		return f
	}
	f.Description = s.Description
	f.Type, f.Ref = typeName(s)
	for _, e := range s.Enum {
		if v := fmt.Sprint(e); v != "" {
			f.Enum = append(f.Enum, v)
		}
	}
	return f
}

// typeName describes a schema's type, and names the schema it refers to.
func typeName(s *huma.Schema) (string, string) {
	switch {
	case s.Ref != "":
		n := refName(s)
		return n, n
	case s.Type == "array" && s.Items != nil:
		t, ref := typeName(s.Items)
		return "array of " + t, ref
	case s.Format != "":
		return s.Type + " (" + s.Format + ")", ""
	case s.Type == "":
		return "any", ""
	}
	return s.Type, ""
}

func refName(s *huma.Schema) string {
	if s == nil {
		return ""
	}
	return strings.TrimPrefix(s.Ref, "#/components/schemas/")
}
