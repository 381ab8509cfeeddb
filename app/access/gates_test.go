package access_test

import (
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
)

func TestMembershipAndGates(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)

	t.Run("WorkspaceAdminOK", func(t *testing.T) {
		m, err := e.svc.Membership(e.ctx, e.f.Admin.ID, e.f.Reporting.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.WorkspaceRole != models.WorkspaceRoleAdmin || m.OrgRole != models.OrgRoleMember || !m.IsManager() {
			t.Fatalf("membership = %+v", m)
		}
		if m.Workspace.ID != e.f.Reporting.ID || m.Workspace.Name != "Client reporting" ||
			m.Organization.ID != e.f.Agency.ID || m.Organization.Name != "Acme Agency" || m.Organization.Plan != models.PlanPro {
			t.Fatalf("membership workspace/organization = %+v / %+v", m.Workspace, m.Organization)
		}
		if err := m.CanManageLinks(); err != nil {
			t.Fatalf("CanManageLinks = %v", err)
		}
	})

	t.Run("OrganizationOwnerOK", func(t *testing.T) {
		// The owner has no workspace role and still manages every
		// workspace of the organization.
		for _, ws := range []models.Workspace{e.f.Reporting, e.f.Internal} {
			m, err := e.svc.Membership(e.ctx, e.f.Owner.ID, ws.ID)
			if err != nil {
				t.Fatalf("%s: %v", ws.Name, err)
			}
			if m.WorkspaceRole != "" || m.OrgRole != models.OrgRoleOwner || m.Workspace.ID != ws.ID {
				t.Fatalf("%s: membership = %+v", ws.Name, m)
			}
			if err := m.CanManageLinks(); err != nil {
				t.Fatalf("%s: CanManageLinks = %v", ws.Name, err)
			}
		}
	})

	t.Run("EditorAndViewerErrForbidden", func(t *testing.T) {
		for _, u := range []models.User{e.f.Member, e.f.Viewer} {
			m, err := e.svc.Membership(e.ctx, u.ID, e.f.Reporting.ID)
			if err != nil {
				t.Fatalf("%s: members see the workspace: %v", u.Email, err)
			}
			if m.IsManager() {
				t.Fatalf("%s is a manager", u.Email)
			}
			de := assertCode(t, m.CanManageLinks(), access.EFORBIDDEN)
			if !strings.Contains(de.Message, "admins") {
				t.Fatalf("%s: message %q does not mention admins", u.Email, de.Message)
			}
		}
	})

	t.Run("FreePlanOwnerErrForbidden", func(t *testing.T) {
		m, err := e.svc.Membership(e.ctx, e.f.Free.ID, e.f.Main.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !m.IsManager() || m.Organization.Plan != models.PlanFree {
			t.Fatalf("membership = %+v", m)
		}
		de := assertCode(t, m.CanManageLinks(), access.EFORBIDDEN)
		if !strings.Contains(de.Message, "Free plan") || !strings.Contains(de.Message, "Upgrade") {
			t.Fatalf("message %q does not name the plan and the upgrade", de.Message)
		}
	})

	t.Run("NoRoleErrNotFound", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			user models.User
			ws   models.Workspace
		}{
			{"support staff", e.f.Support, e.f.Reporting},
			{"admin of a sibling workspace", e.f.OtherAdmin, e.f.Reporting},
			{"organization member without a role here", e.f.Admin, e.f.Internal},
			{"owner of another organization", e.f.Free, e.f.Reporting},
			{"owner, foreign organization's workspace", e.f.Owner, e.f.Main},
		} {
			m, err := e.svc.Membership(e.ctx, tc.user.ID, tc.ws.ID)
			assertCode(t, err, access.ENOTFOUND)
			if m != nil {
				t.Fatalf("%s: membership returned with an error", tc.name)
			}
		}
		for _, ws := range []string{"", "1", "../x", strings.Repeat("x", 36), access.NewID()} {
			_, err := e.svc.Membership(e.ctx, e.f.Admin.ID, ws)
			assertCode(t, err, access.ENOTFOUND)
		}
	})

	t.Run("GenerateErrForbidden", func(t *testing.T) {
		for _, tc := range []struct {
			user models.User
			ws   models.Workspace
		}{
			{e.f.Member, e.f.Reporting},
			{e.f.Viewer, e.f.Reporting},
			{e.f.Free, e.f.Main},
		} {
			l, err := e.svc.GenerateLink(e.ctx, e.member(tc.user, tc.ws), e.actor(tc.user), "google_ads")
			assertCode(t, err, access.EFORBIDDEN)
			if l != nil {
				t.Fatalf("%s: link returned with an error", tc.user.Email)
			}
		}
		if n := e.count(&models.AccessLink{}, "1 = 1"); n != 0 {
			t.Fatalf("%d links stored by refused requests", n)
		}
	})

	t.Run("DeleteErrForbidden", func(t *testing.T) {
		l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
		// A link in the Free organization's workspace, as if made before a
		// downgrade.
		old := models.AccessLink{ID: access.NewID(), WorkspaceID: e.f.Main.ID, SourceKey: "google_ads",
			TokenHash: "hash-of-an-old-link", TokenSealed: "v1.x.y", CreatedBy: &e.f.Free.ID,
			CreatedAt: domainStart, ExpiresAt: domainStart.Add(access.LinkLifetime)}
		if err := e.svc.DB().Create(&old).Error; err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			user models.User
			ws   models.Workspace
			link string
		}{
			{e.f.Member, e.f.Reporting, l.ID},
			{e.f.Viewer, e.f.Reporting, l.ID},
			{e.f.Free, e.f.Main, old.ID},
		} {
			assertCode(t, e.svc.DeleteLink(e.ctx, e.member(tc.user, tc.ws), e.actor(tc.user), tc.link), access.EFORBIDDEN)
		}
		if n := e.count(&models.AccessLink{}, "deleted_at IS NOT NULL"); n != 0 {
			t.Fatalf("%d links deleted by refused requests", n)
		}
		if n := e.count(&models.LinkEvent{}, "type = ?", access.EventDeleted); n != 0 {
			t.Fatalf("%d deleted events recorded by refused requests", n)
		}
	})

	t.Run("Plans", func(t *testing.T) {
		for _, tc := range []struct {
			plan string
			ok   bool
		}{
			{models.PlanActive, true},
			{models.PlanPro, true},
			{models.PlanAgency, true},
			{models.PlanEnterprise, true},
			{models.PlanFree, false},
			{"", false},
			{"trial", false},
			{"PRO", false},
		} {
			if got := access.PlanAllowsLinks(tc.plan); got != tc.ok {
				t.Errorf("PlanAllowsLinks(%q) = %v, want %v", tc.plan, got, tc.ok)
			}
			if err := e.svc.DB().Model(&models.Organization{}).Where("id = ?", e.f.Agency.ID).Update("plan", tc.plan).Error; err != nil {
				t.Fatal(err)
			}
			for _, u := range []models.User{e.f.Admin, e.f.Owner} {
				m := e.member(u, e.f.Reporting)
				err := m.CanManageLinks()
				if tc.ok && err != nil {
					t.Errorf("plan %q, %s: CanManageLinks = %v", tc.plan, u.Email, err)
				}
				if !tc.ok {
					de := assertCode(t, err, access.EFORBIDDEN)
					if !strings.Contains(de.Message, "plan") {
						t.Errorf("plan %q: message %q does not mention the plan", tc.plan, de.Message)
					}
					// Refused on the server, not only hidden.
					_, gerr := e.svc.GenerateLink(e.ctx, m, e.actor(u), "google_ads")
					assertCode(t, gerr, access.EFORBIDDEN)
				}
			}
		}
	})
}

func TestPlanName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"free": "Free", "pro": "Pro", "enterprise": "Enterprise", "": "current"} {
		if got := access.PlanName(in); got != want {
			t.Errorf("PlanName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWorkspaces(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	names := func(u models.User) string {
		t.Helper()
		ws, err := e.svc.Workspaces(e.ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, w := range ws {
			if w.ID == "" || w.OrganizationName == "" {
				t.Fatalf("incomplete choice %+v", w)
			}
			out = append(out, w.OrganizationName+"/"+w.Name)
		}
		return strings.Join(out, ", ")
	}
	for _, tc := range []struct {
		name string
		user models.User
		want string
	}{
		{"OwnerSeesOrganization", e.f.Owner, "Acme Agency/Client reporting, Acme Agency/Internal"},
		{"AdminSeesOwn", e.f.Admin, "Acme Agency/Client reporting"},
		{"ViewerSeesOwn", e.f.Viewer, "Acme Agency/Client reporting"},
		{"OtherAdminSeesOwn", e.f.OtherAdmin, "Acme Agency/Internal"},
		{"FreeOwner", e.f.Free, "Solo Shop/Main"},
		{"SupportNone", e.f.Support, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(tc.user); got != tc.want {
				t.Fatalf("Workspaces = %q, want %q", got, tc.want)
			}
		})
	}

	t.Run("OwnerAlsoAdminNoDuplicates", func(t *testing.T) {
		if err := e.svc.DB().Create(&models.WorkspaceMember{WorkspaceID: e.f.Reporting.ID, UserID: e.f.Owner.ID,
			Role: models.WorkspaceRoleAdmin, CreatedAt: time.Now().UTC()}).Error; err != nil {
			t.Fatal(err)
		}
		if got := names(e.f.Owner); got != "Acme Agency/Client reporting, Acme Agency/Internal" {
			t.Fatalf("Workspaces = %q", got)
		}
	})
}
