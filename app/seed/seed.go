// Package seed fills an empty development database with demo
// organizations, workspaces and one user per role.
package seed

import (
	"context"

	"gorm.io/gorm"

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
//
// It runs in one transaction that first writes the write_probe row: that
// write locks the row (PostgreSQL) or the database (SQLite) until the
// commit, so when processes start together on an empty database one seeds
// and the others, let in after its commit, find the users and do nothing.
func Demo(ctx context.Context, gdb *gorm.DB, svc *access.Service, password string) (bool, error) {
	seeded := false
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("UPDATE write_probe SET written_at = ? WHERE name = 'probe'", svc.Clock()).Error; err != nil {
			return err
		}
		var count int64
		if err := tx.Model(&models.User{}).Count(&count).Error; err != nil {
			return err
		}
		if count > 0 {
			return nil
		}
		in := svc.WithDB(tx)
		for _, u := range DemoUsers {
			u.Password = password
			if _, err := in.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		// Two workspaces for Acme Agency: the owner sees both.
		var org models.Organization
		if err := tx.Where("name = ?", "Acme Agency").Take(&org).Error; err != nil {
			return err
		}
		for _, name := range []string{"Internal"} {
			ws := models.Workspace{ID: access.NewID(), OrganizationID: org.ID, Name: name, CreatedAt: svc.Clock()}
			if err := tx.Create(&ws).Error; err != nil {
				return err
			}
		}
		seeded = true
		return nil
	})
	return seeded && err == nil, err
}
