package views

// APIDocs is the API reference page's content, built from the OpenAPI
// document (app/api/docs.go), so the page says what the code does.
type APIDocs struct {
	Title       string
	Version     string
	Description string
	Groups      []APIDocGroup
	Schemas     []APIDocSchema
	Problems    []APIDocProblem
}

// APIDocGroup is the operations of one tag.
type APIDocGroup struct {
	Name       string
	Operations []APIDocOperation
}

// APIDocOperation is one route.
type APIDocOperation struct {
	ID          string
	Method      string
	Path        string
	Summary     string
	Description string
	Params      []APIDocField
	Body        string // schema name of the request body, "" for none
	Responses   []APIDocResponse
}

// APIDocResponse is one answer of an operation.
type APIDocResponse struct {
	Status      string
	Description string
	Schema      string // schema name, "" for none
	ContentType string
}

// APIDocField is a parameter or a schema property.
type APIDocField struct {
	Name        string
	In          string // path, query, header; "" for properties
	Type        string
	Ref         string // schema name when the type is another schema
	Required    bool
	Description string
	Enum        []string
}

// APIDocSchema is one named schema.
type APIDocSchema struct {
	Name        string
	Description string
	Fields      []APIDocField
}

// APIDocProblem is one problem type.
type APIDocProblem struct {
	Code   string
	Type   string
	Status int
	Title  string
	When   string
}

// MethodClass colours an HTTP method.
func MethodClass(m string) string {
	switch m {
	case "GET":
		return "badge bg-slate-100 text-slate-700 font-mono"
	case "DELETE":
		return "badge bg-red-50 text-red-700 font-mono"
	}
	return "badge bg-brand-50 text-brand-600 font-mono"
}
