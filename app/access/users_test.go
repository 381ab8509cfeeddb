package access_test

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
)

func TestCreateUser(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	usersBefore := e.count(&models.User{}, "1 = 1")

	t.Run("ErrEveryFieldAtOnce", func(t *testing.T) {
		_, err := e.svc.CreateUser(e.ctx, access.NewUser{
			Email: "not an email", Name: "  ", Password: "short",
			Organization: "New Org", OrgRole: "boss", Plan: "gold",
			Workspace: "New WS", WorkspaceRole: "god",
		})
		de := assertCode(t, err, access.EINVALID)
		for _, f := range []string{"email", "name", "password", "org-role", "plan", "role"} {
			if de.Fields[f] == "" {
				t.Errorf("no message for field %q; fields = %v", f, de.Fields)
			}
		}
		if len(de.Fields) != 6 {
			t.Errorf("fields = %v, want exactly the 6 bad ones", de.Fields)
		}
	})

	t.Run("ErrWorkspaceWithoutOrganization", func(t *testing.T) {
		_, err := e.svc.CreateUser(e.ctx, access.NewUser{Email: "ws@test.example", Name: "W", Password: testutil.Password,
			Workspace: "Somewhere", WorkspaceRole: models.WorkspaceRoleAdmin})
		de := assertCode(t, err, access.EINVALID)
		if de.Fields["organization"] == "" || len(de.Fields) != 1 {
			t.Fatalf("fields = %v, want only organization", de.Fields)
		}
	})

	t.Run("ErrPasswordTooLong", func(t *testing.T) {
		_, err := e.svc.CreateUser(e.ctx, access.NewUser{Email: "long@test.example", Name: "L", Password: strings.Repeat("p", 73)})
		de := assertCode(t, err, access.EINVALID)
		if de.Fields["password"] == "" {
			t.Fatalf("fields = %v, want password", de.Fields)
		}
	})

	t.Run("NothingStoredOnError", func(t *testing.T) {
		if n := e.count(&models.User{}, "1 = 1"); n != usersBefore {
			t.Fatalf("%d users, want %d", n, usersBefore)
		}
		if n := e.count(&models.Organization{}, "name = ?", "New Org"); n != 0 {
			t.Fatal("organization created for an invalid user")
		}
	})

	t.Run("ErrDuplicateEmail", func(t *testing.T) {
		_, err := e.svc.CreateUser(e.ctx, access.NewUser{Email: "  ADMIN@Test.Example ", Name: "Again", Password: testutil.Password})
		de := assertCode(t, err, access.ECONFLICT)
		if de.Fields["email"] == "" {
			t.Fatalf("fields = %v, want email", de.Fields)
		}
		if n := e.count(&models.User{}, "1 = 1"); n != usersBefore {
			t.Fatalf("%d users after a duplicate, want %d", n, usersBefore)
		}
	})

	t.Run("OK", func(t *testing.T) {
		u, err := e.svc.CreateUser(e.ctx, access.NewUser{
			Email: "  New.Person@Example.COM ", Name: "  New Person ", Password: testutil.Password, Support: true,
			Organization: "Fresh Org", OrgRole: models.OrgRoleOwner,
			Workspace: "Fresh WS", WorkspaceRole: models.WorkspaceRoleViewer,
		})
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "new.person@example.com" || u.Name != "New Person" || !u.IsSupport || !access.ValidID(u.ID) {
			t.Fatalf("user = %+v", u)
		}
		stored, err := e.svc.User(e.ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Email != "new.person@example.com" {
			t.Fatalf("stored email = %q", stored.Email)
		}
		if stored.PasswordHash == testutil.Password || bcrypt.CompareHashAndPassword([]byte(stored.PasswordHash), []byte(testutil.Password)) != nil {
			t.Fatal("password not stored as a bcrypt hash of itself")
		}
		var org models.Organization
		if err := e.svc.DB().Where("name = ?", "Fresh Org").Take(&org).Error; err != nil {
			t.Fatal(err)
		}
		if org.Plan != models.PlanPro {
			t.Fatalf("new organization plan = %q, want pro by default", org.Plan)
		}
		var ws models.Workspace
		if err := e.svc.DB().Where("name = ?", "Fresh WS").Take(&ws).Error; err != nil {
			t.Fatal(err)
		}
		m, err := e.svc.Membership(e.ctx, u.ID, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.OrgRole != models.OrgRoleOwner || m.WorkspaceRole != models.WorkspaceRoleViewer || m.Organization.ID != org.ID {
			t.Fatalf("membership = %+v", m)
		}
	})

	t.Run("ReusesOrganizationAndWorkspace", func(t *testing.T) {
		_, err := e.svc.CreateUser(e.ctx, access.NewUser{Email: "second@test.example", Name: "Second", Password: testutil.Password,
			Organization: "Acme Agency", OrgRole: models.OrgRoleMember, Plan: models.PlanFree,
			Workspace: "Client reporting", WorkspaceRole: models.WorkspaceRoleEditor})
		if err != nil {
			t.Fatal(err)
		}
		if n := e.count(&models.Organization{}, "name = ?", "Acme Agency"); n != 1 {
			t.Fatalf("%d organizations named Acme Agency", n)
		}
		if n := e.count(&models.Workspace{}, "name = ?", "Client reporting"); n != 1 {
			t.Fatalf("%d workspaces named Client reporting", n)
		}
		var org models.Organization
		e.svc.DB().Where("name = ?", "Acme Agency").Take(&org)
		if org.Plan != models.PlanPro {
			t.Fatalf("joining an organization changed its plan to %q", org.Plan)
		}
	})

	t.Run("UserErrNotFound", func(t *testing.T) {
		_, err := e.svc.User(e.ctx, access.NewID())
		assertCode(t, err, access.ENOTFOUND)
	})
	// Last, so that if it fails the user it wrongly stores does not upset
	// the counts above.
	t.Run("ErrEmailWithDisplayName", func(t *testing.T) {
		// net/mail accepts "Name <addr>"; no account must be created under
		// that string: nobody could sign in with it.
		_, err := e.svc.CreateUser(e.ctx, access.NewUser{Email: "Bob <bob@test.example>", Name: "Bob", Password: testutil.Password})
		if err == nil {
			var stored []string
			e.svc.DB().Model(&models.User{}).Where("email LIKE ?", "%bob@test.example%").Pluck("email", &stored)
			t.Fatalf("user created with email %q, want an invalid error", stored)
		}
		de := assertCode(t, err, access.EINVALID)
		if de.Fields["email"] == "" {
			t.Fatalf("fields = %v, want email", de.Fields)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)

	t.Run("OK", func(t *testing.T) {
		for _, email := range []string{"admin@test.example", " Admin@TEST.example "} {
			u, err := e.svc.Authenticate(e.ctx, email, testutil.Password)
			if err != nil {
				t.Fatalf("%q: %v", email, err)
			}
			if u.ID != e.f.Admin.ID {
				t.Fatalf("%q signed in as %s", email, u.Email)
			}
		}
	})

	t.Run("ErrUnauthorizedSameMessage", func(t *testing.T) {
		_, wrongPassword := e.svc.Authenticate(e.ctx, "admin@test.example", "wrong password!")
		_, unknownEmail := e.svc.Authenticate(e.ctx, "nobody@test.example", testutil.Password)
		_, empty := e.svc.Authenticate(e.ctx, "", "")
		_, caseOfPassword := e.svc.Authenticate(e.ctx, "admin@test.example", strings.ToUpper(testutil.Password))
		var msgs []string
		for _, err := range []error{wrongPassword, unknownEmail, empty, caseOfPassword} {
			de := assertCode(t, err, access.EUNAUTHORIZED)
			msgs = append(msgs, de.Message)
		}
		for _, m := range msgs[1:] {
			if m != msgs[0] {
				t.Fatalf("messages differ: %q vs %q", msgs[0], m)
			}
		}
		lower := strings.ToLower(msgs[0])
		if strings.Contains(lower, "unknown") || strings.Contains(lower, "wrong password") || strings.Contains(lower, "no account") {
			t.Fatalf("message %q says which of the two was wrong", msgs[0])
		}
		if wrongPassword.Error() != unknownEmail.Error() {
			t.Fatalf("errors differ: %q vs %q", wrongPassword, unknownEmail)
		}
	})
}

func TestHashPassword(t *testing.T) {
	t.Parallel()
	h, err := access.HashPassword(testutil.Password)
	if err != nil {
		t.Fatal(err)
	}
	if bcrypt.CompareHashAndPassword([]byte(h), []byte(testutil.Password)) != nil {
		t.Fatal("hash does not verify")
	}
	_, err = access.HashPassword(strings.Repeat("x", 73))
	assertCode(t, err, access.EINVALID)
	if got := access.NormalizeEmail("  MiXeD@Example.COM\t"); got != "mixed@example.com" {
		t.Fatalf("NormalizeEmail = %q", got)
	}
}

// TestCreateUserCleansNames: names are cleaned like labels (SECURITY.md
// item 27): a bidi override or control character in a user's,
// organization's or workspace's name never reaches the pages that show it,
// and a name that is nothing but such characters is no name.
func TestCreateUserCleansNames(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	t.Run("OK", func(t *testing.T) {
		u, err := e.svc.CreateUser(e.ctx, access.NewUser{Email: "eve@test.example", Name: " Eve\u202e\u2066Evil\x00\n Admin ", Password: testutil.Password,
			Organization: "Org \u202e", OrgRole: models.OrgRoleOwner, Workspace: "Work\u200fspace\u0007", WorkspaceRole: models.WorkspaceRoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		if u.Name != "EveEvil Admin" {
			t.Errorf("user name %q, want %q", u.Name, "EveEvil Admin")
		}
		var stored models.User
		if err := e.svc.DB().Where("id = ?", u.ID).Take(&stored).Error; err != nil || stored.Name != "EveEvil Admin" {
			t.Errorf("stored user name %q (%v)", stored.Name, err)
		}
		var org models.Organization
		if err := e.svc.DB().Where("name = ?", "Org").Take(&org).Error; err != nil {
			t.Errorf("organization %q not stored cleaned: %v", "Org", err)
		}
		var ws models.Workspace
		if err := e.svc.DB().Where("name = ?", "Workspace").Take(&ws).Error; err != nil {
			t.Errorf("workspace %q not stored cleaned: %v", "Workspace", err)
		}
	})
	t.Run("ErrOnlyControls", func(t *testing.T) {
		_, err := e.svc.CreateUser(e.ctx, access.NewUser{Email: "nobody@test.example", Name: "\u202e\u2067", Password: testutil.Password,
			Organization: "\u202e", OrgRole: models.OrgRoleOwner, Workspace: "\u2066", WorkspaceRole: models.WorkspaceRoleAdmin})
		de := assertCode(t, err, access.EINVALID)
		for _, f := range []string{"name", "organization", "workspace"} {
			if de.Fields[f] == "" {
				t.Errorf("no message for field %q; fields = %v", f, de.Fields)
			}
		}
	})
	t.Run("ErrTooLong", func(t *testing.T) {
		_, err := e.svc.CreateUser(e.ctx, access.NewUser{Email: "long@test.example", Name: strings.Repeat("é", access.MaxNameLen+1), Password: testutil.Password})
		de := assertCode(t, err, access.EINVALID)
		if de.Fields["name"] == "" {
			t.Errorf("no message for the long name; fields = %v", de.Fields)
		}
	})
}
