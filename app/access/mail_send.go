package access

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/models"
)

// Mail is one mail with everything its words need: the views render it
// (views/mail*.templ) when it is sent or shown in the development mailbox.
type Mail struct {
	models.MailMessage
	// Facts are what a notification tells: reason, failure, error_code,
	// error_description, account_name, account_email, account_external_id.
	Facts     map[string]string
	Workspace string
	// Requester is who made the link (a person's name, or "API key
	// <name>"); RequesterEmail is where replies go ("" for a key).
	Requester      string
	RequesterEmail string
	// RequesterKey is the API key's name when a key made the link ("" for
	// a person): the link's mail names it in its own language.
	RequesterKey string
	SourceKey    string
	// Label is the link's label as it is when the mail is rendered ("" for
	// none).
	Label string
	// Language is the link's mail language ("" for English; MailLanguages):
	// the link's own mail is written in it, notifications stay English.
	Language string
	// LinkCreatedAt and ExpiresAt: the link's lifetime.
	LinkCreatedAt time.Time
	ExpiresAt     time.Time
	Note          string
	// LinkURL is the link itself, for the recipient's mail only.
	LinkURL string
	// LinkPageURL is the link's page in the app, for notifications.
	LinkPageURL string
	LinkStatus  Status
}

// loadMail reads mail id and its link.
func (s *Service) loadMail(ctx context.Context, where string, args ...any) (*Mail, error) {
	var m Mail
	notFound := &Error{Code: ENOTFOUND, Reason: ReasonMailNotFound, Message: "Mail not found."}
	if err := takeOne(s.db.WithContext(ctx).Where(where, args...), &m.MailMessage, notFound); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(m.Detail), &m.Facts); err != nil {
		m.Facts = map[string]string{}
	}
	var ws models.Workspace
	if err := s.db.WithContext(ctx).Select("name").Where("id = ?", m.WorkspaceID).Take(&ws).Error; err != nil {
		return nil, err
	}
	m.Workspace = ws.Name
	if m.LinkID == nil {
		return &m, nil
	}
	l, err := s.GetLink(ctx, m.WorkspaceID, *m.LinkID)
	if err != nil {
		return nil, err
	}
	m.Requester, m.RequesterEmail = l.CreatorName, l.CreatorEmail
	if l.CreatorKeyName != "" {
		m.Requester, m.RequesterEmail, m.RequesterKey = apiKeyActor+l.CreatorKeyName, "", l.CreatorKeyName
	}
	m.SourceKey, m.Label, m.ExpiresAt, m.Note, m.LinkStatus = l.SourceKey, l.Label, l.ExpiresAt, l.Note, l.Status
	m.Language, m.LinkCreatedAt = l.Language, l.CreatedAt
	m.LinkPageURL = strings.TrimRight(s.baseURL, "/") + "/w/" + l.WorkspaceID + "/sources/access-requests/" + l.ID
	if m.Kind == MailLink && l.Status == StatusActive {
		m.LinkURL = l.URL
	}
	return &m, nil
}

// PrepareMail returns mail id ready to render and send, or ErrMailDone
// when it was sent already or is the link's mail and the link can no
// longer be used (used, expired, deleted meanwhile).
func (s *Service) PrepareMail(ctx context.Context, id string) (*Mail, error) {
	m, err := s.loadMail(ctx, "id = ?", id)
	if ErrorCode(err) == ENOTFOUND {
		return nil, ErrMailDone
	}
	if err != nil {
		return nil, err
	}
	if m.SentAt != nil || (m.Kind == MailLink && m.LinkURL == "") {
		return nil, ErrMailDone
	}
	return m, nil
}

// MarkMailSent records that mail id left by transport: one conditional
// update, so a mail is marked once; the link's history says it was
// emailed. It reports whether this call marked it.
func (s *Service) MarkMailSent(ctx context.Context, id, transport string) (bool, error) {
	marked := false
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		marked = false
		now := s.now()
		res := tx.Model(&models.MailMessage{}).Where("id = ? AND sent_at IS NULL", id).
			Updates(map[string]any{"sent_at": now, "transport": transport, "attempts": gorm.Expr("attempts + 1"), "last_error": ""})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		marked = true
		var m models.MailMessage
		if err := tx.Select("kind, link_id, to_addr").Where("id = ?", id).Take(&m).Error; err != nil {
			return err
		}
		if m.Kind != MailLink || m.LinkID == nil {
			return nil
		}
		var l models.AccessLink
		if err := tx.Where("id = ?", *m.LinkID).Take(&l).Error; err != nil {
			return err
		}
		return s.recordEvent(tx, &l, Actor{Name: "Mail"}, EventEmailed, map[string]any{"to": m.ToAddr})
	})
	return marked, err
}

// MarkMailFailed records a failed attempt (the job retries it).
func (s *Service) MarkMailFailed(ctx context.Context, id, reason string) error {
	return s.db.WithContext(ctx).Model(&models.MailMessage{}).Where("id = ? AND sent_at IS NULL", id).
		Updates(map[string]any{"attempts": gorm.Expr("attempts + 1"), "last_error": CleanText(reason, maxDetailText)}).Error
}

// mailboxOf is the condition on mail_messages of what userID may read in
// the development mailbox: the mails of the workspaces where the user
// manages links (whose links the user can copy from the links page
// anyway) and the mails addressed to the user. Another organization's
// mail, with its live link, stays out of reach of whoever signs in to a
// shared test server.
const mailboxOf = `transport = ? AND (
	workspace_id IN (SELECT wm.workspace_id FROM workspace_members wm WHERE wm.user_id = ? AND wm.role = ?)
	OR workspace_id IN (SELECT w.id FROM workspaces w JOIN organization_members om ON om.organization_id = w.organization_id
		WHERE om.user_id = ? AND om.role = ?)
	OR to_addr = (SELECT u.email FROM users u WHERE u.id = ?))`

func mailboxArgs(userID string) []any {
	return []any{TransportMailbox, userID, models.WorkspaceRoleAdmin, userID, models.OrgRoleOwner, userID}
}

// Mailbox lists the newest mails of the development mailbox that userID
// may read (mailboxOf).
func (s *Service) Mailbox(ctx context.Context, userID string) ([]models.MailMessage, error) {
	var rows []models.MailMessage
	err := s.db.WithContext(ctx).Where(mailboxOf, mailboxArgs(userID)...).
		Order("sent_at DESC, id").Limit(MailboxSize).Find(&rows).Error
	return rows, err
}

// MailboxMail is one mail of the development mailbox, ready to render; a
// mail userID may not read (mailboxOf) is not found.
func (s *Service) MailboxMail(ctx context.Context, userID, id string) (*Mail, error) {
	if !ValidID(id) {
		return nil, &Error{Code: ENOTFOUND, Reason: ReasonMailNotFound, Message: "Mail not found."}
	}
	m, err := s.loadMail(ctx, "id = ? AND "+mailboxOf, append([]any{id}, mailboxArgs(userID)...)...)
	if err != nil {
		return nil, err
	}
	if m.Kind == MailLink && m.LinkURL == "" {
		// Still shown, without a usable link: it was used or expired.
		m.LinkURL = s.baseURL + "/connect/…"
	}
	return m, nil
}

// ResendLinkMail sends an active link to its recipient again: managers
// only, at most ResendLimit times in ResendWindow (counted on the history's
// email_requested events, written in the same transaction).
func (s *Service) ResendLinkMail(ctx context.Context, m *Membership, actor Actor, linkID string) error {
	if err := m.CanManageLinks(); err != nil {
		return err
	}
	l, err := s.GetLink(ctx, m.Workspace.ID, linkID)
	if err != nil {
		return err
	}
	switch {
	case l.RecipientEmail == "":
		return &Error{Code: EINVALID, Reason: ReasonNotEmailed, Message: "This link was not sent by email."}
	case l.Status != StatusActive:
		return &Error{Code: ECONFLICT, Reason: ReasonResendInactive, Params: map[string]string{"status": string(l.Status)},
			Message: fmt.Sprintf("Only an active link can be sent again; this one is %s.", l.Status)}
	case !s.mailOn:
		return &Error{Code: EINVALID, Reason: ReasonMailOff, Message: "Email is not set up on this server: copy the link instead."}
	}
	return s.transaction(ctx, func(tx *gorm.DB) error {
		var n int64
		err := tx.Model(&models.LinkEvent{}).Where("link_id = ? AND type = ? AND created_at > ?", l.ID, EventEmailRequested, s.now().Add(-ResendWindow)).Count(&n).Error
		if err != nil {
			return err
		}
		if n >= ResendLimit {
			return &Error{Code: ETOOMANY, Reason: ReasonResendLimit, Params: map[string]string{"count": strconv.FormatInt(n, 10)},
				Message: fmt.Sprintf("This link was sent again %d times in the last hour; try again later.", n)}
		}
		if err := s.recordEvent(tx, &l.AccessLink, actor, EventEmailRequested, map[string]any{"to": l.RecipientEmail}); err != nil {
			return err
		}
		return s.emit(tx, OutEvent{Type: HookLinkEmailRequested, WorkspaceID: l.WorkspaceID, LinkID: l.ID, Data: map[string]any{"link": linkData(&l.AccessLink)}})
	})
}

// RemindExpiringLinks queues the "expires tomorrow" reminder of up to
// limit unused links made by a person that expire within ReminderBefore,
// once per link (reminder_sent_at, set by a conditional update), and
// returns how many it queued. The periodic sweep calls it.
func (s *Service) RemindExpiringLinks(ctx context.Context, limit int) (int, error) {
	if !s.mailOn || s.hooks.outbox == nil {
		return 0, nil
	}
	now := s.now()
	var links []models.AccessLink
	err := s.db.WithContext(ctx).Where("used_at IS NULL AND deleted_at IS NULL AND reminder_sent_at IS NULL AND created_by IS NOT NULL AND expires_at > ? AND expires_at <= ?",
		now, now.Add(ReminderBefore)).Order("expires_at").Limit(limit).Find(&links).Error
	if err != nil {
		return 0, err
	}
	return s.markOnce(ctx, links, "reminder_sent_at", "reminder_sent_at IS NULL", now, func(l *models.AccessLink) OutEvent {
		return OutEvent{Type: HookLinkExpiring, WorkspaceID: l.WorkspaceID, LinkID: l.ID, Timestamp: now, Data: map[string]any{"link": linkData(l)}}
	})
}

// NotificationsOn returns the notification kinds userID gets.
func (s *Service) NotificationsOn(ctx context.Context, userID string) ([]string, error) {
	var u models.User
	if err := s.db.WithContext(ctx).Select("mail_off").Where("id = ?", userID).Take(&u).Error; err != nil {
		return nil, err
	}
	off := strings.Fields(u.MailOff)
	var on []string
	for _, k := range NotificationKinds {
		if !slices.Contains(off, k) {
			on = append(on, k)
		}
	}
	return on, nil
}

// SetNotifications keeps the notification kinds in on for userID and turns
// the others off; unknown kinds are ignored.
func (s *Service) SetNotifications(ctx context.Context, userID string, on []string) error {
	var off []string
	for _, k := range NotificationKinds {
		if !slices.Contains(on, k) {
			off = append(off, k)
		}
	}
	return s.db.WithContext(ctx).Model(&models.User{}).Where("id = ?", userID).Update("mail_off", strings.Join(off, " ")).Error
}
