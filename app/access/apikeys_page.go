package access

import (
	"context"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/models"
)

// What the API keys page reads (issue 9): the keys of a workspace with
// their events (two queries, whatever the number of keys), and one key to
// confirm its revocation.

// APIKeyEvent is one event of a key with the name of who caused it.
type APIKeyEvent struct {
	models.APIKeyEvent
	ActorName string // "" for a use, or for the command line
}

// GetAPIKey returns a key of the workspace, revoked or not; a key of
// another workspace answers not found.
func (s *Service) GetAPIKey(ctx context.Context, workspaceID, keyID string) (*APIKey, error) {
	if !ValidID(keyID) {
		return nil, reasonf(ENOTFOUND, ReasonAPIKeyNotFound, nil, "API key not found.")
	}
	var k APIKey
	q := s.keysWithCreator(ctx).Where("k.id = ? AND k.workspace_id = ?", keyID, workspaceID)
	if err := takeOne(q, &k, reasonf(ENOTFOUND, ReasonAPIKeyNotFound, nil, "API key not found.")); err != nil {
		return nil, err
	}
	return &k, nil
}

// keysWithCreator selects keys (k) with their creator's name, as APIKey.
func (s *Service) keysWithCreator(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Table("api_keys AS k").
		Select("k.*, COALESCE(u.name, '') AS creator_name").
		Joins("LEFT JOIN users u ON u.id = k.created_by")
}

// APIKeyList is a workspace's keys (ListAPIKeys) and each key's events,
// oldest first, by key ID.
type APIKeyList struct {
	Keys   []APIKey
	Events map[string][]APIKeyEvent
}

// APIKeysWithEvents lists the workspace's keys with their events. The
// caller has checked the member may manage keys (the page's gate).
func (s *Service) APIKeysWithEvents(ctx context.Context, workspaceID string) (*APIKeyList, error) {
	keys, err := s.ListAPIKeys(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	events, err := s.workspaceAPIKeyEvents(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	return &APIKeyList{Keys: keys, Events: events}, nil
}

// workspaceAPIKeyEvents returns the events of every key of the workspace
// by key ID, oldest first, in one query.
func (s *Service) workspaceAPIKeyEvents(ctx context.Context, workspaceID string) (map[string][]APIKeyEvent, error) {
	var rows []APIKeyEvent
	err := s.db.WithContext(ctx).Table("api_key_events AS e").
		Select("e.*, COALESCE(u.name, '') AS actor_name").
		Joins("JOIN api_keys k ON k.id = e.api_key_id").
		Joins("LEFT JOIN users u ON u.id = e.actor_id").
		Where("k.workspace_id = ?", workspaceID).
		// A key is created before it is used, and used before it is
		// revoked: the kind orders events of one instant (a test's clock).
		Order("e.created_at, CASE e.kind WHEN 'created' THEN 0 WHEN 'used' THEN 1 ELSE 2 END, e.id").Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make(map[string][]APIKeyEvent)
	for _, ev := range rows {
		out[ev.APIKeyID] = append(out[ev.APIKeyID], ev)
	}
	return out, nil
}
