// Package baresql holds, word for word, the SQL statements the app sends
// for the consent page and the links list, which the bare program of the
// benchmark harness sends too. What the app writes out rather than builds
// (a link's columns, the consent page's lookup) comes from the app's own
// text in app/access/hotsql, a package that imports nothing; the rest is
// copied here as the app sends it. TestHotPagesStatements (app/web) compares
// them with what the app really sends on both databases, so a change to
// the app's queries fails there until the bare program follows it.
// Placeholders are ?; the bare program turns them into $1, $2, ... for
// PostgreSQL.
package baresql

import "github.com/accessrequests/accessrequests/app/access/hotsql"

// PublicLink is the consent page's lookup of a link by its token's hash (app/access: OpenLink).
const PublicLink = hotsql.PublicLink + `l.token_hash = ? LIMIT 1`

// CollapseEvent records a view of the consent page, collapsed per client (app/access/record.go).
const CollapseEvent = `INSERT INTO link_events
	(id, link_id, workspace_id, type, actor_id, actor, ip, user_agent, detail, created_at, count, last_at, client_key)
	SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?
	WHERE EXISTS (SELECT 1 FROM link_events WHERE link_id = ? AND client_key = ?)
	OR (SELECT count(*) FROM (SELECT 1 FROM link_events WHERE link_id = ? AND client_key IS NOT NULL LIMIT ?) AS c) < ?
	ON CONFLICT (link_id, client_key) WHERE client_key IS NOT NULL
	DO UPDATE SET count = link_events.count + 1, last_at = excluded.last_at, ip = excluded.ip, user_agent = excluded.user_agent`

// Session reads a signed-in user's session and user (app/access: Session).
const Session = `SELECT u.id, u.email, u.name, u.password_hash, u.is_support, u.created_at,
			s.created_at AS session_created_at, s.last_seen_at, s.expires_at, s.flash FROM sessions AS s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ? LIMIT 1`

// Membership reads the workspace and the user's roles in it (app/access: Membership).
const Membership = `SELECT w.id, w.organization_id, w.name, w.created_at,
			o.name AS org_name, o.plan AS org_plan, o.created_at AS org_created_at, o.default_link_days AS org_default_link_days,
			wm.role AS workspace_role, om.role AS org_role FROM workspaces AS w JOIN organizations o ON o.id = w.organization_id LEFT JOIN workspace_members wm ON wm.workspace_id = w.id AND wm.user_id = ? LEFT JOIN organization_members om ON om.organization_id = w.organization_id AND om.user_id = ? WHERE w.id = ? LIMIT 1`

// Workspaces lists the workspaces the user may open, for the navigation (app/access: Workspaces).
const Workspaces = `SELECT w.id, w.name, o.name AS organization_name FROM workspaces AS w JOIN organizations o ON o.id = w.organization_id WHERE EXISTS (SELECT 1 FROM workspace_members wm WHERE wm.workspace_id = w.id AND wm.user_id = ?)
			OR EXISTS (SELECT 1 FROM organization_members om WHERE om.organization_id = w.organization_id AND om.user_id = ? AND om.role = ?) ORDER BY o.name, w.name`

// ListFirst is the links list's first page (app/access: ListLinks).
const ListFirst = `SELECT ` + hotsql.LinkColumns + `, COALESCE(u.name, '') AS creator_name, COALESCE(u.email, '') AS creator_email, COALESCE(k.name, '') AS creator_key_name, COALESCE((SELECT CASE WHEN d.ok THEN 'delivered' ELSE 'failing' END
	FROM webhook_deliveries d WHERE d.link_id = l.id ORDER BY d.created_at DESC, d.id DESC LIMIT 1), '') AS webhook_state FROM access_links AS l LEFT JOIN users u ON u.id = l.created_by LEFT JOIN api_keys k ON k.id = l.created_by_key_id WHERE l.workspace_id = ? AND l.deleted_at IS NULL ORDER BY l.created_at DESC, l.id DESC LIMIT 51`

// ListAfter is a page of the links list after a cursor (app/access: ListLinks).
const ListAfter = `SELECT ` + hotsql.LinkColumns + `, COALESCE(u.name, '') AS creator_name, COALESCE(u.email, '') AS creator_email, COALESCE(k.name, '') AS creator_key_name, COALESCE((SELECT CASE WHEN d.ok THEN 'delivered' ELSE 'failing' END
	FROM webhook_deliveries d WHERE d.link_id = l.id ORDER BY d.created_at DESC, d.id DESC LIMIT 1), '') AS webhook_state FROM access_links AS l LEFT JOIN users u ON u.id = l.created_by LEFT JOIN api_keys k ON k.id = l.created_by_key_id WHERE l.workspace_id = ? AND l.deleted_at IS NULL AND l.created_at <= ? AND (l.created_at < ? OR (l.created_at = ? AND l.id < ?)) ORDER BY l.created_at DESC, l.id DESC LIMIT 51`

// OpenedUpsert and CollapseProbe are the two statements the consent page
// sent before issue 14 to record a view (bench -before): the probe, then
// this upsert.
const (
	CollapseProbe = `SELECT EXISTS (SELECT 1 FROM link_events WHERE link_id = ? AND client_key = ?) AS known,
		(SELECT count(*) FROM (SELECT 1 FROM link_events WHERE link_id = ? AND client_key IS NOT NULL LIMIT ?) AS c) AS clients`
	OpenedUpsert = `INSERT INTO "link_events" ("id","link_id","workspace_id","type","actor_id","actor","ip","user_agent","detail","created_at","count","last_at","client_key") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT ("link_id","client_key") WHERE client_key IS NOT NULL DO UPDATE SET "count"=link_events.count + 1,"last_at"=?,"ip"=?,"user_agent"=?`
)
