package schemacompat

// This file is the capture half of the schema-compatibility check
// (docs/schema-changes.md). It is self-contained on purpose: refresh.sh
// copies it into a checkout of the previous release and runs
// TestCaptureQueries there, so it may use only what that release's test
// harness (app/internal/testutil) already had.

import (
	"database/sql/driver"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// Capture is a release's statements, in the order the workload sent them.
type Capture struct {
	Commit     string      `json:"commit"`
	Dialect    string      `json:"dialect"`
	Statements []Statement `json:"statements"`
}

// Statement is one SQL statement as GORM sent it: placeholders in the SQL,
// the bound values beside it.
type Statement struct {
	SQL  string `json:"sql"`
	Vars []Var  `json:"vars,omitempty"`
}

// Var is a bound value with its type: null, string, bytes (base64), int,
// float, bool or time (RFC 3339).
type Var struct {
	T string `json:"t"`
	V string `json:"v,omitempty"`
}

// TestCaptureQueries runs the workload with every statement recorded and
// writes them to $CAPTURE_QUERIES/<dialect>.json. Without CAPTURE_QUERIES
// it runs the workload as a test of its own and writes nothing.
func TestCaptureQueries(t *testing.T) {
	rec := &recorder{}
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	rec.install(t, e.DB)
	workload(t, e)
	if len(rec.out) < 50 {
		t.Fatalf("the workload sent only %d statements", len(rec.out))
	}
	dir := os.Getenv("CAPTURE_QUERIES")
	if dir == "" {
		return
	}
	commit, _ := exec.Command("git", "rev-parse", "HEAD").Output()
	c := Capture{Commit: strings.TrimSpace(string(commit)), Dialect: testutil.Dialect(), Statements: rec.out}
	b, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, c.Dialect+".json")
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d statements to %s", len(c.Statements), path)
}

// workload is what a replica of a release does to the database: admins
// sign in, list, generate, open and delete links; invitees open consent
// pages, allow and deny at the sandbox (its own tables), connect an
// account twice; support staff search and read a history; sessions end.
func workload(t *testing.T, e *testutil.FlowEnv) {
	admin := e.Login(t, e.F.Admin.Email)
	links := "/w/" + e.F.Reporting.ID + "/sources/access-requests"
	for _, path := range []string{"/w/" + e.F.Reporting.ID + "/sources", links} {
		if p := e.Get(t, admin, path); p.Status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, p.Status)
		}
	}
	post := func(c *http.Client, path string, form url.Values) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, e.AppURL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := post(admin, links, url.Values{"source": {testutil.SandboxKey}}); s >= 400 {
		t.Fatalf("generate: %d", s)
	}

	connected, inv := e.AtConsent(t, "first")
	if p := inv.Connect(t, connected.Token, "sandbox-user-1"); p.Status != http.StatusOK {
		t.Fatalf("connect: %d", p.Status)
	}
	again, inv2 := e.AtConsent(t, "second")
	if p := inv2.Connect(t, again.Token, "sandbox-user-1"); p.Status != http.StatusOK { // the same account: an update
		t.Fatalf("connect again: %d", p.Status)
	}
	denied, inv3 := e.AtConsent(t, "third")
	_, cb := inv3.Authorized(t, denied.Token, "deny", "sandbox-user-2")
	inv3.Callback(t, cb)
	inv3.Decline(t, denied.Token, "not now")

	e.Get(t, admin, links+"/"+connected.ID)
	if s := post(admin, links+"/"+denied.ID+"/delete", nil); s >= 400 {
		t.Fatalf("delete: %d", s)
	}
	support := e.Login(t, e.F.Support.Email)
	for _, path := range []string{"/support/links?q=" + url.QueryEscape("Client reporting"), "/support/links?q=" + connected.ID,
		"/support/links/" + connected.ID, "/support/links/" + connected.ID + "/history.json"} {
		e.Get(t, support, path)
	}
	post(admin, "/logout/everywhere", nil)
	post(support, "/logout", nil)
}

// recorder keeps every statement GORM sent without error.
type recorder struct {
	mu  sync.Mutex
	out []Statement
	err error
}

func (r *recorder) install(t *testing.T, gdb *gorm.DB) {
	t.Helper()
	cb := gdb.Callback()
	for name, register := range map[string]func(string, func(*gorm.DB)) error{
		"gorm:create": cb.Create().After("gorm:create").Register,
		"gorm:query":  cb.Query().After("gorm:query").Register,
		"gorm:update": cb.Update().After("gorm:update").Register,
		"gorm:delete": cb.Delete().After("gorm:delete").Register,
		"gorm:row":    cb.Row().After("gorm:row").Register,
		"gorm:raw":    cb.Raw().After("gorm:raw").Register,
	} {
		if err := register("schemacompat:"+name, r.record); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if r.err != nil {
			t.Error(r.err)
		}
	})
}

func (r *recorder) record(tx *gorm.DB) {
	q := strings.TrimSpace(tx.Statement.SQL.String())
	if tx.DryRun || q == "" || tx.Error != nil {
		return
	}
	s := Statement{SQL: q}
	for _, v := range tx.Statement.Vars {
		ev, err := encodeVar(v)
		if err != nil {
			r.mu.Lock()
			r.err = fmt.Errorf("%s: %w", q, err)
			r.mu.Unlock()
			return
		}
		s.Vars = append(s.Vars, ev)
	}
	r.mu.Lock()
	r.out = append(r.out, s)
	r.mu.Unlock()
}

func encodeVar(v any) (Var, error) {
	if vr, ok := v.(driver.Valuer); ok {
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Pointer && rv.IsNil() {
			return Var{T: "null"}, nil
		}
		var err error
		if v, err = vr.Value(); err != nil {
			return Var{}, err
		}
	}
	switch x := v.(type) {
	case nil:
		return Var{T: "null"}, nil
	case []byte:
		return Var{T: "bytes", V: base64.StdEncoding.EncodeToString(x)}, nil
	case time.Time:
		return Var{T: "time", V: x.Format(time.RFC3339Nano)}, nil
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return Var{T: "null"}, nil
		}
		rv = rv.Elem()
		if tm, ok := rv.Interface().(time.Time); ok {
			return Var{T: "time", V: tm.Format(time.RFC3339Nano)}, nil
		}
	}
	switch rv.Kind() {
	case reflect.String:
		return Var{T: "string", V: rv.String()}, nil
	case reflect.Bool:
		return Var{T: "bool", V: fmt.Sprint(rv.Bool())}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return Var{T: "int", V: fmt.Sprint(rv.Int())}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return Var{T: "int", V: fmt.Sprint(rv.Uint())}, nil
	case reflect.Float32, reflect.Float64:
		return Var{T: "float", V: fmt.Sprint(rv.Float())}, nil
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return Var{T: "bytes", V: base64.StdEncoding.EncodeToString(rv.Bytes())}, nil
		}
	}
	return Var{}, fmt.Errorf("a bound value of type %T cannot be captured", v)
}
