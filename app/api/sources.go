package api

import "context"

// Source is a source links can be made for.
type Source struct {
	Key      string  `json:"key" doc:"Pass it as source to POST /links." example:"sandbox"`
	Name     string  `json:"name"`
	Category string  `json:"category"`
	Scopes   []Scope `json:"scopes" nullable:"false" doc:"What a link for the source asks the account's owner for."`
}

// Scope is one permission a source asks for, in plain words.
type Scope struct {
	Name        string `json:"name" doc:"The provider's name of the scope."`
	Title       string `json:"title"`
	Description string `json:"description"`
	Access      string `json:"access" enum:"read,write,"`
	Optional    bool   `json:"optional" doc:"The owner may refuse it without failing the connection."`
}

// SourceList is every usable source (one page).
type SourceList struct {
	Data       []Source `json:"data" nullable:"false"`
	NextCursor string   `json:"next_cursor" doc:"Always empty: every source is on one page."`
}

type sourceListOutput struct {
	Body SourceList
}

// listSources is GET /api/v1/sources: the configured sources.
func (a *API) listSources(ctx context.Context, _ *struct{}) (*sourceListOutput, error) {
	out := &sourceListOutput{Body: SourceList{Data: []Source{}}}
	for _, s := range a.svc.Sources().All() {
		if !s.Configured() {
			continue
		}
		src := Source{Key: s.Key, Name: s.Name, Category: s.Category, Scopes: make([]Scope, len(s.Scopes))}
		for i, sc := range s.Scopes {
			src.Scopes[i] = Scope{Name: sc.Name, Title: sc.Title, Description: sc.Description, Access: sc.Access, Optional: sc.Optional}
		}
		out.Body.Data = append(out.Body.Data, src)
	}
	return out, nil
}
