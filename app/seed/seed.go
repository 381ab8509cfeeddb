// Package seed fills an empty development database with demo
// organizations, workspaces and one user per role.
package seed

import (
	"context"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
)

// DemoUsers are the accounts Demo creates, in the order the log lists them.
var DemoUsers = []access.NewUser{
	{Email: "owner@demo.test", Name: "Olivia Owner", Organization: "Acme Agency", Plan: models.PlanPro, OrgRole: models.OrgRoleOwner},
	{Email: "admin@demo.test", Name: "Adam Admin", Organization: "Acme Agency", OrgRole: models.OrgRoleMember, Workspace: "Client reporting", WorkspaceRole: models.WorkspaceRoleAdmin},
	{Email: "member@demo.test", Name: "Mia Member", Organization: "Acme Agency", OrgRole: models.OrgRoleMember, Workspace: "Client reporting", WorkspaceRole: models.WorkspaceRoleEditor},
	{Email: "support@demo.test", Name: "Sam Support", Support: true},
	{Email: "free@demo.test", Name: "Fred Free", Organization: "Solo Shop", Plan: models.PlanFree, OrgRole: models.OrgRoleOwner, Workspace: "Main", WorkspaceRole: models.WorkspaceRoleAdmin},
}

// Demo seeds the database when it has no users and reports whether it did.
// The "Internal" workspace of Acme Agency is created for its owner.
func Demo(ctx context.Context, svc *access.Service, password string) (bool, error) {
	var count int64
	if err := svc.DB.WithContext(ctx).Model(&models.User{}).Count(&count).Error; err != nil {
		return false, err
	}
	if count > 0 {
		return false, nil
	}
	for _, u := range DemoUsers {
		u.Password = password
		if _, err := svc.CreateUser(ctx, u); err != nil {
			return false, err
		}
	}
	// Two workspaces for Acme Agency: the owner sees both.
	var org models.Organization
	if err := svc.DB.WithContext(ctx).Where("name = ?", "Acme Agency").Take(&org).Error; err != nil {
		return false, err
	}
	for _, name := range []string{"Internal"} {
		ws := models.Workspace{ID: access.NewID(), OrganizationID: org.ID, Name: name, CreatedAt: svc.Clock()}
		if err := svc.DB.WithContext(ctx).Create(&ws).Error; err != nil {
			return false, err
		}
	}
	return true, nil
}
