package access

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/models"
)

// The one place where a link's history is written. Everything an event
// stores from a request or a provider (user agent, address, reason,
// description) is cleaned here; repeated views and declines from one
// client collapse into one event; a signed-in user of another organization
// acting on a link is recorded as the invitee; and the link's last outcome
// (declined, failed) is kept on the link for the admin list.

// Limits of the text an event stores, in bytes.
const (
	maxUserAgent  = 400
	maxIP         = 100
	maxActorName  = 200
	maxDetailText = 500
)

// collapses lists the event types that a client can repeat at will from
// the public link routes: repeated identical ones are counted on one event
// instead of adding rows.
var collapses = map[string]bool{EventOpened: true, EventDeclined: true}

// inviteeSide lists the event types written on the invitee's routes
// (consent, start, decline, callback), where a signed-in user is named only
// if they belong to the link's workspace or organization.
var inviteeSide = map[string]bool{
	EventOpened: true, EventStarted: true, EventDeclined: true,
	EventProviderError: true, EventConnected: true, EventClaimRefused: true,
}

// MaxClientsPerLink bounds the collapsible events of one link: once it has
// this many (one per client, type and detail), views and declines from
// further clients are counted on one "other clients" event per type. A
// client rotating its user agent therefore cannot grow a history without
// bound either. Service.MaxClientsPerLink overrides it (tests).
const MaxClientsPerLink = 500

// Outcomes kept on a link (models.AccessLink.LastOutcome).
const (
	OutcomeDeclined = "declined"
	OutcomeFailed   = "failed"
)

// recordEvent writes one event of l's history on tx. A collapsible event
// is one INSERT ... ON CONFLICT: the first from a client inserts the row,
// the next ones add to its count and move its last-seen time, so
// concurrent views never make duplicates. Declines and provider errors
// also set the link's last outcome; a connection clears it.
func (s *Service) recordEvent(tx *gorm.DB, l *models.AccessLink, actor Actor, typ string, detail map[string]any) error {
	if _, inTx := tx.Statement.ConnPool.(gorm.TxCommitter); (needsTransaction(typ) || s.announcesFor(l, typ)) && !inTx {
		return tx.Transaction(func(tx *gorm.DB) error { return s.writeEvent(tx, l, actor, typ, detail) })
	}
	return s.writeEvent(tx, l, actor, typ, detail)
}

func (s *Service) writeEvent(tx *gorm.DB, l *models.AccessLink, actor Actor, typ string, detail map[string]any) error {
	actor, err := s.historyActor(tx, l, actor, typ)
	if err != nil {
		return err
	}
	clean := cleanDetail(detail)
	now := s.now()
	// The link's outcome goes first: for a decline it is also the one
	// decision whether this decline is news (recordOutcome).
	changed, err := s.recordOutcome(tx, l, typ, clean, now)
	if err != nil || !changed {
		return err
	}
	d := "{}"
	if len(clean) > 0 {
		b, err := json.Marshal(clean)
		if err != nil {
			return err
		}
		d = string(b)
	}
	name := CleanText(actor.Name, maxActorName)
	if actor.APIKeyID != "" {
		name = CleanText(apiKeyActor+actor.APIKeyName, maxActorName)
	}
	var actorID *string
	if actor.UserID != "" {
		id := actor.UserID
		actorID = &id
	} else if name == "" {
		name = invitee
	}
	ev := models.LinkEvent{
		ID:          NewID(),
		LinkID:      l.ID,
		WorkspaceID: l.WorkspaceID,
		Type:        typ,
		ActorID:     actorID,
		Actor:       name,
		IP:          CleanText(actor.IP, maxIP),
		UserAgent:   CleanText(actor.UserAgent, maxUserAgent),
		Detail:      d,
		CreatedAt:   now,
		Count:       1,
	}
	if collapses[typ] {
		err = s.collapseEvent(tx, &ev, now)
	} else {
		err = tx.Create(&ev).Error
	}
	if err != nil {
		return err
	}
	return s.announce(tx, l, typ, clean, now)
}

// maxClients is the service's bound on collapsible events per link.
func (s *Service) maxClients() int64 {
	if s.maxClientsPerLink > 0 {
		return s.maxClientsPerLink
	}
	return MaxClientsPerLink
}

// collapseEvent writes a collapsible event, counted under its client's key,
// in one statement: the INSERT ... SELECT makes a row only if this client
// has an event already (ON CONFLICT then adds to its count) or the link has
// fewer than MaxClientsPerLink collapsible events (reading at most that
// many entries of link_events_client_key). A new client past the bound
// makes no row, and a second statement counts the view on the type's
// "other clients" event instead: that rare case costs one more statement,
// the common one none. Concurrent new clients may pass the bound by a few.
func (s *Service) collapseEvent(tx *gorm.DB, ev *models.LinkEvent, now time.Time) error {
	key, bound := clientKey(ev), s.maxClients()
	ctx := tx.Statement.Context
	n, err := db.ExecHot(ctx, tx, collapseEventHot,
		ev.ID, ev.LinkID, ev.WorkspaceID, ev.Type, ev.ActorID, ev.Actor, ev.IP, ev.UserAgent, ev.Detail, ev.CreatedAt, now, key,
		ev.LinkID, key, ev.LinkID, bound, bound)
	if err != nil || n > 0 {
		return err
	}
	_, err = db.ExecHot(ctx, tx, collapseOtherHot,
		ev.ID, ev.LinkID, ev.WorkspaceID, ev.Type, ev.ActorID, ev.Actor, ev.IP, ev.UserAgent, `{"other_clients":"true"}`, ev.CreatedAt, now, "other:"+ev.Type)
	return err
}

// collapseEvent's two statements, prepared once (db.Hot): the event of
// its client, and the "other clients" event.
var (
	collapseEventHot = db.NewHot(collapseEventSQL + collapseEventBound + collapseEventUpsert)
	collapseOtherHot = db.NewHot(collapseEventSQL + " WHERE TRUE" + collapseEventUpsert)
)

// The statement of collapseEvent, in three parts: the row, the bound (left
// out for the "other clients" event), the upsert.
const (
	collapseEventSQL = `INSERT INTO link_events
	(id, link_id, workspace_id, type, actor_id, actor, ip, user_agent, detail, created_at, count, last_at, client_key)
	SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?`
	collapseEventBound = `
	WHERE EXISTS (SELECT 1 FROM link_events WHERE link_id = ? AND client_key = ?)
	OR (SELECT count(*) FROM (SELECT 1 FROM link_events WHERE link_id = ? AND client_key IS NOT NULL LIMIT ?) AS c) < ?`
	// SQLite reads ON CONFLICT after a SELECT as the upsert's only after a
	// WHERE; the "other clients" row has a WHERE TRUE of its own.
	collapseEventUpsert = `
	ON CONFLICT (link_id, client_key) WHERE client_key IS NOT NULL
	DO UPDATE SET count = link_events.count + 1, last_at = excluded.last_at, ip = excluded.ip, user_agent = excluded.user_agent`
)

// truncate cleans text from a provider and cuts it to n bytes on a rune
// boundary (see CleanText).
func truncate(s string, n int) string { return CleanText(s, n) }

// needsTransaction reports whether recording typ writes more than one row.
func needsTransaction(typ string) bool {
	return typ == EventDeclined || typ == EventProviderError || typ == EventConnected
}

// recordOutcome keeps the link's last outcome in step with the event being
// written: a decline or a provider error is shown in the admin list until
// the link is used. It reports whether the event is to be written at all:
// a link that stays declined is declined once. Its conditional update is
// the one decision, so of any number of repeated or concurrent declines
// (a reload, a script, two tabs) exactly one finds the link not declined
// and writes the event, its webhook and its mail; the others change
// nothing (on PostgreSQL the second update waits for the first's row lock
// and then sees it declined; SQLite runs one writer at a time). A decline
// after another outcome (a failed attempt) is news again. A used link is
// not declined.
func (s *Service) recordOutcome(tx *gorm.DB, l *models.AccessLink, typ string, detail map[string]any, now time.Time) (bool, error) {
	var set map[string]any
	switch typ {
	case EventDeclined:
		reason, _ := detail["reason"].(string)
		set = map[string]any{"last_outcome": OutcomeDeclined, "last_outcome_detail": reason, "last_outcome_at": now}
	case EventProviderError:
		set = map[string]any{"last_outcome": OutcomeFailed, "last_outcome_detail": failureReason(detail), "last_outcome_at": now}
	case EventConnected:
		set = map[string]any{"last_outcome": "", "last_outcome_detail": "", "last_outcome_at": nil}
	default:
		return true, nil
	}
	q := tx.Model(&models.AccessLink{}).Where("id = ?", l.ID)
	if typ != EventConnected {
		q = q.Where("used_at IS NULL") // a used link shows Used, whatever came after
	}
	if typ != EventDeclined {
		return true, q.Updates(set).Error
	}
	res := q.Where("last_outcome <> ?", OutcomeDeclined).Updates(set)
	return res.RowsAffected == 1, res.Error
}

// failureReason is what made an attempt fail, as a code the admin list
// puts in words (views.OutcomeDetail, "Failed · Access denied"): the
// provider's access_denied, or the kind of failure (provider, token,
// identity, scopes, state, input); the timeline has the details.
func failureReason(detail map[string]any) string {
	if code, _ := detail["error"].(string); code == "access_denied" {
		return code
	}
	kind, _ := detail["kind"].(string)
	return kind
}

// historyActor is who an event names. On the invitee's routes a signed-in
// user who is not a member of the link's workspace or organization is
// recorded as the invitee: no name and no user ID in a foreign history.
func (s *Service) historyActor(tx *gorm.DB, l *models.AccessLink, actor Actor, typ string) (Actor, error) {
	if actor.UserID == "" || !inviteeSide[typ] {
		return actor, nil
	}
	var n int64
	err := tx.Table("workspaces AS w").
		Where(`w.id = ? AND (EXISTS (SELECT 1 FROM workspace_members wm WHERE wm.workspace_id = w.id AND wm.user_id = ?)
			OR EXISTS (SELECT 1 FROM organization_members om WHERE om.organization_id = w.organization_id AND om.user_id = ?))`,
			l.WorkspaceID, actor.UserID, actor.UserID).
		Count(&n).Error
	if err != nil {
		return actor, err
	}
	if n == 0 {
		return Actor{IP: actor.IP, UserAgent: actor.UserAgent}, nil
	}
	return actor, nil
}

// cleanDetail returns detail with every string value cleaned and capped;
// keys come from the code.
func cleanDetail(detail map[string]any) map[string]any {
	if len(detail) == 0 {
		return nil
	}
	out := make(map[string]any, len(detail))
	for k, v := range detail {
		if s, ok := v.(string); ok {
			v = CleanText(s, maxDetailText)
		}
		out[k] = v
	}
	return out
}

// clientKey identifies what makes two collapsible events the same: their
// type, actor, client address, user agent and detail. It is a hash so the
// unique index stays small whatever the user agent.
func clientKey(e *models.LinkEvent) string {
	h := sha256.New()
	actorID := ""
	if e.ActorID != nil {
		actorID = *e.ActorID
	}
	for _, part := range []string{e.Type, actorID, e.Actor, e.IP, e.UserAgent, e.Detail} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
