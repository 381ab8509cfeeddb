package access

import (
	"encoding/json"
	"errors"
	"net/mail"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/accessrequests/accessrequests/models"
)

// Mail: links sent by email to their recipient, and notifications to a
// link's creator. Mails are queued by the job that fans an event out
// (QueueMails, in its transaction), one per event and kind, and sent by a
// job that marks each sent once (PrepareMail, MarkMailSent). Bodies are
// rendered from the link when sent, never stored.

// Mail kinds: the link itself to its recipient, and the notifications.
const (
	MailLink     = "link"
	MailUsed     = "used"
	MailDeclined = "declined"
	MailFailed   = "failed"
	MailExpiring = "expiring"
	// MailEndpointDisabled tells a webhook endpoint's creator (or, for an
	// endpoint made through the API, the workspace's admins) that it was
	// disabled after failing for days. It cannot be turned off.
	MailEndpointDisabled = "webhook_disabled"
)

// NotificationKinds are the mails a link's creator gets, each of which
// they can turn off.
var NotificationKinds = []string{MailUsed, MailDeclined, MailFailed, MailExpiring}

// Internal events, never sent to webhooks: a link's mail asked for again
// (Resend), and a link that expires within a day unused.
const (
	HookLinkEmailRequested = "link.email_requested"
	HookLinkExpiring       = "link.expiring"
)

// History events of a link's mail: sent to its recipient, and sent again
// on request (Resend).
const (
	EventEmailed        = "emailed"
	EventEmailRequested = "email_requested"
)

// Limits of what a link's mail carries.
const (
	MaxNoteLen  = 500
	maxEmailLen = 254
	// ReminderBefore is how long before its expiry an unused link's
	// creator is reminded.
	ReminderBefore = 24 * time.Hour
	// Resends of one link's mail: at most ResendLimit in ResendWindow
	// (besides the first mail).
	ResendLimit  = 3
	ResendWindow = time.Hour
	// MailboxSize is how many mails the development mailbox lists.
	MailboxSize = 100
)

// Mail transports recorded on a sent mail.
const (
	TransportSMTP    = "smtp"
	TransportMailbox = "mailbox"
)

// ErrMailDone says a mail needs no sending: sent already, or its link can
// no longer be used.
var ErrMailDone = errors.New("mail: nothing to send")

// internalEvent reports whether an event type is for subscribers inside
// the app only (mail), never for webhooks.
func internalEvent(typ string) bool {
	return typ == HookEndpointDisabled || typ == HookLinkEmailRequested || typ == HookLinkExpiring
}

// WithMail says whether mail can be sent (SMTP, or the development
// mailbox); without it links cannot be sent by email and nothing is
// queued.
func WithMail(on bool) Option { return func(s *Service) { s.mailOn = on } }

// MailOn reports whether mail can be sent.
func (s *Service) MailOn() bool { return s.mailOn }

// LinkMail is what GenerateLink is asked to send: a recipient, and a
// short note from the requester.
type LinkMail struct {
	Recipient string
	Note      string
}

// clean validates the recipient and cleans the note.
func (m LinkMail) clean(on bool) (LinkMail, error) {
	to, err := CleanEmail(m.Recipient)
	if err != nil {
		return m, err
	}
	note := CleanText(m.Note, MaxNoteLen)
	if to == "" && note != "" {
		return m, fieldError(EINVALID, "Add the recipient's email address to send the note.", "recipient_email", fieldf(FieldRecipientRequired, nil, "Required with a note.")).because(ReasonRecipientRequired, nil)
	}
	if to != "" && !on {
		return m, fieldError(EINVALID, "Email is not set up on this server: copy the link instead.", "recipient_email", fieldf(FieldRecipientMailOff, nil, "Email is not set up.")).because(ReasonMailOff, nil)
	}
	return LinkMail{Recipient: to, Note: note}, nil
}

// CleanEmail validates one bare email address ("" is allowed: nobody).
func CleanEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	bad := fieldError(EINVALID, "Enter a valid email address, such as name@example.com.", "recipient_email", fieldf(FieldEmailInvalid, nil, "Not a valid email address.")).because(ReasonEmailInvalid, nil)
	if len(s) > maxEmailLen || strings.ContainsAny(s, "\r\n\t<>,;\"") {
		return "", bad
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", bad
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at+1:], ".") || strings.HasSuffix(s, ".") {
		return "", bad
	}
	return s, nil
}

// QueueMails stores the mails that ev causes, in tx (the fan-out's
// transaction), and returns their IDs: the link to its recipient when it
// is created or asked for again, and the notifications its creator has
// not turned off. A link made by an API key has no creator to notify. An
// event queued twice yields its mails once (dedupe_key).
func (s *Service) QueueMails(tx *gorm.DB, ev OutEvent) ([]string, error) {
	kind := map[string]string{
		HookLinkCreated: MailLink, HookLinkEmailRequested: MailLink, HookLinkUsed: MailUsed,
		HookLinkDeclined: MailDeclined, HookLinkFailed: MailFailed, HookLinkExpiring: MailExpiring,
	}[ev.Type]
	if s.mailOn && ev.Type == HookEndpointDisabled {
		return s.queueEndpointMails(tx, ev)
	}
	if !s.mailOn || kind == "" || ev.LinkID == "" {
		return nil, nil
	}
	var row struct {
		WorkspaceID    string
		RecipientEmail string
		CreatedBy      *string
		Email          string
		MailOff        string
	}
	err := tx.Table("access_links AS l").Select("l.workspace_id, l.recipient_email, l.created_by, u.email, u.mail_off").
		Joins("LEFT JOIN users u ON u.id = l.created_by").Where("l.id = ?", ev.LinkID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	to := row.RecipientEmail
	if kind != MailLink {
		to = ""
		if row.CreatedBy != nil && !slices.Contains(strings.Fields(row.MailOff), kind) {
			to = row.Email
		}
	}
	if to == "" {
		return nil, nil
	}
	linkID := ev.LinkID
	return s.queueMail(tx, ev, kind, row.WorkspaceID, &linkID, to)
}

// queueMail stores one mail of ev to to, unless ev queued it already.
func (s *Service) queueMail(tx *gorm.DB, ev OutEvent, kind, workspaceID string, linkID *string, to string) ([]string, error) {
	detail, err := json.Marshal(mailFacts(ev))
	if err != nil {
		return nil, err
	}
	m := models.MailMessage{ID: NewID(), DedupeKey: ev.ID + "/" + kind + "/" + strings.ToLower(to), Kind: kind, WorkspaceID: workspaceID,
		LinkID: linkID, ToAddr: to, Detail: string(detail), CreatedAt: s.now()}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&m)
	if res.Error != nil || res.RowsAffected == 0 {
		return nil, res.Error
	}
	return []string{m.ID}, nil
}

// queueEndpointMails tells a disabled endpoint's creator, or the
// workspace's admins when a key created it.
func (s *Service) queueEndpointMails(tx *gorm.DB, ev OutEvent) ([]string, error) {
	ep, _ := ev.Data["endpoint"].(map[string]any)
	id, _ := ep["id"].(string)
	var to []string
	err := tx.Raw(`SELECT u.email FROM webhook_endpoints e JOIN users u ON u.id = e.created_by WHERE e.id = ?`, id).Scan(&to).Error
	if err == nil && len(to) == 0 {
		err = tx.Raw(`SELECT u.email FROM workspace_members wm JOIN users u ON u.id = wm.user_id
			WHERE wm.workspace_id = ? AND wm.role = ? ORDER BY u.email`, ev.WorkspaceID, models.WorkspaceRoleAdmin).Scan(&to).Error
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, addr := range to {
		q, err := s.queueMail(tx, ev, MailEndpointDisabled, ev.WorkspaceID, nil, addr)
		if err != nil {
			return nil, err
		}
		ids = append(ids, q...)
	}
	return ids, nil
}

// mailFacts are the event's facts a notification tells: the decline's
// reason, what failed, the connected account.
func mailFacts(ev OutEvent) map[string]string {
	out := map[string]string{}
	str := func(m map[string]any, k string) string { v, _ := m[k].(string); return v }
	for _, k := range []string{"reason", "failure", "error_code", "error_description"} {
		if v := str(ev.Data, k); v != "" {
			out[k] = CleanText(v, maxDetailText)
		}
	}
	if ep, ok := ev.Data["endpoint"].(map[string]any); ok {
		for _, k := range []string{"id", "url"} {
			if v := str(ep, k); v != "" {
				out["endpoint_"+k] = CleanText(v, maxDetailText)
			}
		}
	}
	if acc, ok := ev.Data["account"].(map[string]any); ok {
		for _, k := range []string{"name", "email", "external_id"} {
			if v := str(acc, k); v != "" {
				out["account_"+k] = CleanText(v, maxDetailText)
			}
		}
	}
	return out
}
