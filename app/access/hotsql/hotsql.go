// Package hotsql holds the SQL text of the app's hottest reads that is
// written out rather than built (docs/benchmarks.md): the columns of a link
// they read, and the consent page's lookup. app/access sends it; the bare
// program of the benchmark harness (app/internal/bench/baresql) sends the
// same text. It imports nothing, so the bare program stays free of GORM
// and of the app's framework.
package hotsql

// LinkColumns are the columns of access_links AS l that the hottest reads
// (the links list, the consent page, the export) select and app/access's
// scanLink reads, in its order: every field of models.AccessLink
// (TestHotLinkColumns in app/access checks).
const LinkColumns = `l.id, l.workspace_id, l.source_key, l.token_hash, l.token_sealed, l.created_by,
	l.created_by_key_id, l.created_at, l.expires_at, l.used_at, l.deleted_at, l.deleted_by, l.connected_account_id,
	l.last_outcome, l.last_outcome_detail, l.last_outcome_at, l.recipient_email, l.note, l.reminder_sent_at,
	l.label, l.renewed_from_id, l.renewed_to_id, l.reconnect_account_id, l.first_opened_at, l.language`

// PublicLink reads a link with the names the invitee's pages show,
// followed by the condition that finds it. A link made through the API
// names the person who made its key, if any; the page then names the
// organization alone. The organization's branding comes in the same
// statement (a LEFT JOIN on its primary key; never the logo's bytes), so
// the consent page still sends one lookup.
const PublicLink = `SELECT ` + LinkColumns + `, w.name AS workspace_name, o.name AS organization_name,
	COALESCE(u.name, '') AS creator_name, COALESCE(u.email, '') AS creator_email,
	COALESCE(NULLIF(a.display_name, ''), NULLIF(a.email, ''), a.external_id, '') AS account_label,
	COALESCE(b.accent_color, ''), COALESCE(b.logo_hash, ''), COALESCE(b.logo_type, ''),
	COALESCE(b.logo_width, 0), COALESCE(b.logo_height, 0), COALESCE(b.privacy_url, ''), COALESCE(b.support_url, ''),
	CASE WHEN r.display_name <> '' AND r.email <> '' THEN r.display_name || ' (' || r.email || ')'
		ELSE COALESCE(NULLIF(r.display_name, ''), NULLIF(r.email, ''), r.external_id, '') END AS reconnect_label
	FROM access_links AS l
	JOIN workspaces w ON w.id = l.workspace_id
	JOIN organizations o ON o.id = w.organization_id
	LEFT JOIN organization_brandings b ON b.organization_id = o.id
	LEFT JOIN api_keys k ON k.id = l.created_by_key_id
	LEFT JOIN users u ON u.id = COALESCE(l.created_by, k.created_by)
	LEFT JOIN connected_accounts a ON a.id = l.connected_account_id
	LEFT JOIN connected_accounts r ON r.id = l.reconnect_account_id AND r.workspace_id = l.workspace_id
	WHERE `
