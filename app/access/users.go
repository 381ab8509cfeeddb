package access

import (
	"context"
	"errors"
	"net/mail"
	"strings"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/models"
)

// PasswordCost is the bcrypt cost of new password hashes. Tests lower it to
// bcrypt.MinCost to stay fast; nothing else changes it.
var PasswordCost = bcrypt.DefaultCost

// MinPasswordLength is the shortest password `user add` accepts.
const MinPasswordLength = 10

// dummyHash is compared against when an email is unknown, so that a wrong
// email costs as much time as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a real password"), bcrypt.DefaultCost)

// NormalizeEmail lowercases and trims an email address.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// HashPassword hashes a password with bcrypt.
func HashPassword(password string) (string, error) {
	if len(password) > 72 {
		return "", Errorf(EINVALID, "Passwords can be at most 72 bytes long.")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), PasswordCost)
	return string(h), err
}

// Authenticate returns the user with email and password. Any mismatch gives
// the same unauthorized error, whichever of the two was wrong.
func (s *Service) Authenticate(ctx context.Context, email, password string) (*models.User, error) {
	bad := Errorf(EUNAUTHORIZED, "That email and password do not match an account.")
	var u models.User
	err := s.DB.WithContext(ctx).Where("email = ?", NormalizeEmail(email)).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return nil, bad
	}
	return &u, nil
}

// User loads a user by ID.
func (s *Service) User(ctx context.Context, id string) (*models.User, error) {
	var u models.User
	err := s.DB.WithContext(ctx).Where("id = ?", id).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, Errorf(ENOTFOUND, "User not found.")
	}
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// NewUser describes a user to create with `app user add` or the demo seed.
type NewUser struct {
	Email         string
	Name          string
	Password      string
	Support       bool
	Organization  string // name; created on the Pro plan when missing
	Plan          string // plan for a new organization
	OrgRole       string // owner or member
	Workspace     string // name; created in the organization when missing
	WorkspaceRole string // admin, editor or viewer; empty for none
}

// Validate reports every problem with the new user at once.
func (n *NewUser) Validate() error {
	fields := map[string]string{}
	if addr, err := mail.ParseAddress(n.Email); err != nil || addr.Address != n.Email || addr.Name != "" {
		fields["email"] = "Enter a valid email address."
	}
	if strings.TrimSpace(n.Name) == "" {
		fields["name"] = "Enter a name."
	}
	if len(n.Password) < MinPasswordLength {
		fields["password"] = "Use at least 10 characters."
	} else if len(n.Password) > 72 {
		fields["password"] = "Use at most 72 bytes."
	}
	if n.Organization != "" {
		switch n.OrgRole {
		case models.OrgRoleOwner, models.OrgRoleMember:
		default:
			fields["org-role"] = "Organization role must be owner or member."
		}
		if n.Plan != "" && !validPlan(n.Plan) {
			fields["plan"] = "Plan must be free, active, pro, agency or enterprise."
		}
	} else if n.Workspace != "" {
		fields["organization"] = "A workspace needs its organization."
	}
	if n.Workspace != "" {
		switch n.WorkspaceRole {
		case models.WorkspaceRoleAdmin, models.WorkspaceRoleEditor, models.WorkspaceRoleViewer:
		default:
			fields["role"] = "Workspace role must be admin, editor or viewer."
		}
	}
	if len(fields) > 0 {
		return &Error{Code: EINVALID, Message: "The user cannot be created.", Fields: fields}
	}
	return nil
}

func validPlan(p string) bool {
	return p == models.PlanFree || PlanAllowsLinks(p)
}

// CreateUser creates a user and, where named, its organization and
// workspace memberships (creating those when missing), in one transaction.
func (s *Service) CreateUser(ctx context.Context, n NewUser) (*models.User, error) {
	n.Email = NormalizeEmail(n.Email)
	if err := n.Validate(); err != nil {
		return nil, err
	}
	hash, err := HashPassword(n.Password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	u := &models.User{ID: NewID(), Email: n.Email, Name: strings.TrimSpace(n.Name), PasswordHash: hash, IsSupport: n.Support, CreatedAt: now}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var count int64
		if err := tx.Model(&models.User{}).Where("email = ?", n.Email).Count(&count).Error; err != nil {
			return err
		}
		if count > 0 {
			return &Error{Code: ECONFLICT, Message: "A user with that email already exists.", Fields: map[string]string{"email": "Already taken."}}
		}
		if err := tx.Create(u).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) { // a concurrent CreateUser won
				return &Error{Code: ECONFLICT, Message: "A user with that email already exists.", Fields: map[string]string{"email": "Already taken."}}
			}
			return err
		}
		if n.Organization == "" {
			return nil
		}
		var org models.Organization
		err := tx.Where("name = ?", n.Organization).Take(&org).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			plan := n.Plan
			if plan == "" {
				plan = models.PlanPro
			}
			org = models.Organization{ID: NewID(), Name: n.Organization, Plan: plan, CreatedAt: now}
			err = tx.Create(&org).Error
		}
		if err != nil {
			return err
		}
		if err := tx.Create(&models.OrganizationMember{OrganizationID: org.ID, UserID: u.ID, Role: n.OrgRole, CreatedAt: now}).Error; err != nil {
			return err
		}
		if n.Workspace == "" {
			return nil
		}
		var ws models.Workspace
		err = tx.Where("organization_id = ? AND name = ?", org.ID, n.Workspace).Take(&ws).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			ws = models.Workspace{ID: NewID(), OrganizationID: org.ID, Name: n.Workspace, CreatedAt: now}
			err = tx.Create(&ws).Error
		}
		if err != nil {
			return err
		}
		return tx.Create(&models.WorkspaceMember{WorkspaceID: ws.ID, UserID: u.ID, Role: n.WorkspaceRole, CreatedAt: now}).Error
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}
