package access

import (
	"context"
	"errors"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/models"
)

// PasswordCost is the bcrypt cost of new password hashes. Tests lower it to
// bcrypt.MinCost to stay fast; nothing else changes it.
var PasswordCost = bcrypt.DefaultCost

// MinPasswordLength is the shortest password accepted for a new user or a
// password change.
const MinPasswordLength = 10

// dummyHash is compared against when an email is unknown, so that a wrong
// email costs as much time as a wrong password. It is hashed at the first
// sign-in, at the cost of real hashes, not at package init: commands that
// never sign anyone in (migrate, reseal, a start-up) do not pay for it.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not a real password"), PasswordCost)
	return h
})

// NormalizeEmail lowercases and trims an email address.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// HashPassword hashes a password with bcrypt.
func HashPassword(password string) (string, error) {
	if len(password) > 72 {
		return "", reasonf(EINVALID, ReasonPasswordTooLong, nil, "Passwords can be at most 72 bytes long.")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), PasswordCost)
	return string(h), err
}

// Authenticate returns the user with email and password. Any mismatch gives
// the same unauthorized error, whichever of the two was wrong.
func (s *Service) Authenticate(ctx context.Context, email, password string) (*models.User, error) {
	bad := reasonf(EUNAUTHORIZED, ReasonBadLogin, nil, "That email and password do not match an account.")
	email = NormalizeEmail(email)
	if !storableEmail(email) {
		// No stored email has NUL, control characters or invalid UTF-8
		// (which PostgreSQL would refuse in a query): an unknown email,
		// with the same work as any other.
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return nil, bad
	}
	var u models.User
	err := s.db.WithContext(ctx).Where("email = ?", email).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
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

// storableEmail reports whether email could be a stored address: short
// enough, valid UTF-8, without NUL or control characters.
func storableEmail(email string) bool {
	return len(email) <= 254 && CleanText(email, 254) == email
}

// userByEmail loads a user by email address.
func (s *Service) userByEmail(ctx context.Context, email string) (*models.User, error) {
	email = NormalizeEmail(email)
	if !storableEmail(email) {
		return nil, Errorf(ENOTFOUND, "No user has that email address.")
	}
	return s.userWhere(ctx, "email = ?", email, "No user has that email address.")
}

// User loads a user by ID.
func (s *Service) User(ctx context.Context, id string) (*models.User, error) {
	return s.userWhere(ctx, "id = ?", id, "User not found.")
}

// userWhere loads the user that the condition query, with arg, selects;
// notFound is the ENOTFOUND message when there is none.
func (s *Service) userWhere(ctx context.Context, query string, arg any, notFound string) (*models.User, error) {
	var u models.User
	if err := takeOne(s.db.WithContext(ctx).Where(query, arg), &u, Errorf(ENOTFOUND, "%s", notFound)); err != nil {
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

// MaxNameLen is the longest name of a user, organization or workspace, in
// characters.
const MaxNameLen = 100

// CleanName cleans a person-entered name (a user's, an organization's, a
// workspace's) as labels are cleaned (CleanText: no control or bidi
// formatting characters, spaces collapsed), cut to a little over
// MaxNameLen characters so that a longer one is still seen as too long.
func CleanName(name string) string {
	return CleanText(name, 4*(MaxNameLen+1))
}

// nameProblem says what is wrong with the cleaned name of a field that
// was given (raw not empty), or "".
func nameProblem(raw, clean, what string) string {
	switch {
	case strings.TrimSpace(raw) == "" && what != "":
		return "" // optional and not given
	case clean == "":
		return "Enter a name" + what + "."
	case utf8.RuneCountInString(clean) > MaxNameLen:
		return "The name is too long: at most 100 characters."
	}
	return ""
}

// Validate reports every problem with the new user at once. Names are
// checked as CreateUser stores them, cleaned (CleanName).
func (n *NewUser) Validate() error {
	fields := map[string]string{}
	if addr, err := mail.ParseAddress(n.Email); err != nil || addr.Address != n.Email || addr.Name != "" {
		fields["email"] = "Enter a valid email address."
	}
	if msg := nameProblem(n.Name, CleanName(n.Name), ""); msg != "" {
		fields["name"] = msg
	}
	if msg := nameProblem(n.Organization, CleanName(n.Organization), " for the organization"); msg != "" {
		fields["organization"] = msg
	}
	if msg := nameProblem(n.Workspace, CleanName(n.Workspace), " for the workspace"); msg != "" {
		fields["workspace"] = msg
	}
	if msg := passwordProblem(n.Password); msg != "" {
		fields["password"] = msg
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
	n.Name, n.Organization, n.Workspace = CleanName(n.Name), CleanName(n.Organization), CleanName(n.Workspace)
	hash, err := HashPassword(n.Password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	u := &models.User{ID: NewID(), Email: n.Email, Name: n.Name, PasswordHash: hash, IsSupport: n.Support, CreatedAt: now}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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
			org = models.Organization{ID: NewID(), Name: n.Organization, Plan: plan, CreatedAt: now, DefaultLinkDays: defaultLinkDays}
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

// passwordProblem says what is wrong with a new password, or "".
func passwordProblem(p string) string {
	if m := passwordProblemOf(p); m != nil {
		return m.Text
	}
	return ""
}

// passwordProblemOf is passwordProblem as a field's message, nil for none.
func passwordProblemOf(p string) *FieldMessage {
	switch {
	case len(p) < MinPasswordLength:
		return fieldf(FieldPasswordTooShort, map[string]string{"min": strconv.Itoa(MinPasswordLength)}, "Use at least %d characters.", MinPasswordLength)
	case len(p) > 72:
		return fieldf(FieldPasswordTooLong, nil, "Use at most 72 bytes.")
	}
	return nil
}

// PasswordChange is the change-password form: the current password and the
// new one twice.
type PasswordChange struct {
	Current string
	New     string
	Confirm string
}

// ChangePassword sets a new password for userID after checking the current
// one. Every session of the user ends, and the browser that made the
// change continues in the new session returned (a fresh ID, so a copy of
// the old cookie is useless too). Every problem is reported at once, per
// field: current, new, confirm.
func (s *Service) ChangePassword(ctx context.Context, userID string, f PasswordChange) (*Session, error) {
	u, err := s.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	fields := map[string]error{}
	currentOK := bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(f.Current)) == nil
	switch {
	case f.Current == "":
		fields["current"] = fieldf(FieldCurrentMissing, nil, "Enter your current password.")
	case !currentOK:
		fields["current"] = fieldf(FieldCurrentWrong, nil, "That is not your current password.")
	}
	switch msg := passwordProblemOf(f.New); {
	case f.New == "":
		fields["new"] = fieldf(FieldNewMissing, nil, "Enter a new password.")
	case msg != nil:
		fields["new"] = msg
	case currentOK && f.New == f.Current:
		fields["new"] = fieldf(FieldPasswordUnchanged, nil, "Choose a password different from your current one.")
	}
	switch {
	case f.Confirm == "":
		fields["confirm"] = fieldf(FieldConfirmMissing, nil, "Enter the new password again.")
	case f.Confirm != f.New:
		fields["confirm"] = fieldf(FieldConfirmMismatch, nil, "The two new passwords do not match.")
	}
	if len(fields) > 0 {
		return nil, fieldsError(EINVALID, "Your password was not changed.", fields).because(ReasonPasswordNotChanged, nil)
	}
	var sess *Session
	_, err = s.setPassword(ctx, u.ID, f.New, func(tx *gorm.DB) error {
		var err error
		sess, err = s.newSession(tx, u)
		return err
	})
	if err != nil {
		return nil, err
	}
	return sess, nil
}

// SetPassword sets the password of the user with email, for an operator
// (`app user password`), and ends every session of that user. It returns
// how many sessions ended.
func (s *Service) SetPassword(ctx context.Context, email, password string) (int64, error) {
	if msg := passwordProblem(password); msg != "" {
		return 0, &Error{Code: EINVALID, Message: "The password was not changed.", Fields: map[string]string{"password": msg}}
	}
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return 0, err
	}
	return s.setPassword(ctx, u.ID, password, nil)
}

// setPassword stores a new password hash and ends every session of the
// user, then runs then (when set), all in one transaction. It returns how
// many sessions ended.
func (s *Service) setPassword(ctx context.Context, userID, password string, then func(tx *gorm.DB) error) (int64, error) {
	hash, err := HashPassword(password)
	if err != nil {
		return 0, err
	}
	var ended int64
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&models.User{}).Where("id = ?", userID).Update("password_hash", hash)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return reasonf(ENOTFOUND, ReasonUserNotFound, nil, "User not found.")
		}
		n, err := endUserSessions(tx, userID, "")
		if err != nil {
			return err
		}
		ended = n
		if then != nil {
			return then(tx)
		}
		return nil
	})
	return ended, err
}
