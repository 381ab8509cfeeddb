package api_test

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/accessrequests/accessrequests/app/api"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// TestFirstUseConcurrent: the API's operations are declared at the first
// request that needs them (not at start), and requests that arrive
// together on a server that has answered none yet all get their own,
// right answer: an operation, a missing resource, the OpenAPI document and
// an unauthenticated call, several of each at once.
func TestFirstUseConcurrent(t *testing.T) {
	e := newAPIEnv(t, testutil.FlowOptions{})
	v31, _ := api.Specs()
	cases := []struct {
		path, key string
		status    int
		body      []byte // whole body, when set
		contains  string
	}{
		{path: "/sources", key: e.valid, status: http.StatusOK, contains: `"sandbox"`},
		{path: "/links/00000000-0000-0000-0000-000000000000", key: e.valid, status: http.StatusNotFound, contains: `"status":404`},
		{path: "/openapi.json", status: http.StatusOK, body: v31},
		{path: "/links", status: http.StatusUnauthorized, contains: `"status":401`},
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		for _, c := range cases {
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodGet, e.AppURL+api.Prefix+c.path, nil)
				if c.key != "" {
					req.Header.Set("Authorization", "Bearer "+c.key)
				}
				<-start
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != c.status {
					t.Errorf("GET %s: status %d, want %d\n%s", c.path, res.StatusCode, c.status, b)
				}
				if c.body != nil && !bytes.Equal(b, c.body) {
					t.Errorf("GET %s: not the OpenAPI document of api.Specs", c.path)
				}
				if c.contains != "" && !bytes.Contains(b, []byte(c.contains)) {
					t.Errorf("GET %s: body lacks %s\n%s", c.path, c.contains, b)
				}
			})
		}
	}
	close(start)
	wg.Wait()
}
