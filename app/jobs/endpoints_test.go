package jobs_test

import (
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
)

// TestRotationSignsWithBoth: after a rotation both secrets sign for 24
// hours, then only the new one.
func TestRotationSignsWithBoth(t *testing.T) {
	e := newEnv(t)
	ep, oldSecret := e.endpoint(e.recv.URL)
	newSecret, err := e.Svc.RotateWebhookSecret(e.Ctx, e.M, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if newSecret == oldSecret || len(newSecret) < 40 || newSecret[:6] != "whsec_" {
		t.Fatalf("rotated secret %q", newSecret)
	}
	start(t, e.Engine, e.Svc)
	e.link()
	got := e.recv.waitFor(t, "the first webhook", func(r []received) bool { return len(r) >= 1 })
	for _, s := range []string{oldSecret, newSecret} {
		if err := verify(s, got[0].Header, got[0].Body, time.Now()); err != nil {
			t.Errorf("during the overlap: %v", err)
		}
	}
	e.Clock.Advance(access.WebhookSecretOverlap + time.Second)
	e.link()
	got = e.recv.waitFor(t, "the second webhook", func(r []received) bool { return len(r) >= 2 })
	if err := verify(newSecret, got[1].Header, got[1].Body, time.Now()); err != nil {
		t.Errorf("after the overlap, new secret: %v", err)
	}
	if err := verify(oldSecret, got[1].Header, got[1].Body, time.Now()); err == nil {
		t.Error("after the overlap the old secret still signs")
	}
}

// TestFailingFiveDaysDisables: an endpoint that keeps failing is disabled
// once its failures span 5 days, which emits the internal event for its
// owners; it gets nothing more until enabled again.
func TestFailingFiveDaysDisables(t *testing.T) {
	e := newEnv(t)
	ep, _ := e.endpoint(e.recv.URL)
	fail := access.WebhookAttempt{EndpointID: ep.ID, MessageID: "msg_x", Attempt: 1, StatusCode: 500, Error: "status 500"}
	// The log row needs its message.
	if _, err := e.Svc.SendTestWebhook(e.Ctx, e.M, e.Admin, ep.ID); err != nil {
		t.Fatal(err)
	}
	var msg string
	if err := e.DB.Raw("SELECT id FROM webhook_messages").Scan(&msg).Error; err != nil {
		t.Fatal(err)
	}
	fail.MessageID = msg
	if disabled, err := e.Svc.RecordWebhookAttempt(e.Ctx, fail); err != nil || disabled {
		t.Fatalf("first failure: disabled=%v err=%v", disabled, err)
	}
	e.Clock.Advance(access.WebhookDisableAfter - time.Minute)
	if disabled, err := e.Svc.RecordWebhookAttempt(e.Ctx, fail); err != nil || disabled {
		t.Fatalf("failing for less than 5 days: disabled=%v err=%v", disabled, err)
	}
	e.Clock.Advance(2 * time.Minute)
	if disabled, err := e.Svc.RecordWebhookAttempt(e.Ctx, fail); err != nil || !disabled {
		t.Fatalf("failing for 5 days: disabled=%v err=%v", disabled, err)
	}
	got, err := e.Svc.GetWebhookEndpoint(e.Ctx, e.M, ep.ID)
	if err != nil || got.DisabledAt == nil {
		t.Fatalf("endpoint after 5 days failing: %+v, %v", got, err)
	}
	var events int64
	e.DB.Raw("SELECT count(*) FROM river_job WHERE kind = 'event'").Scan(&events) // no link event yet
	if events != 1 {
		t.Errorf("%d endpoint-disabled events, want 1", events)
	}
	// Disabled: nothing goes to it (not even the test event queued
	// before), and a new test event is refused.
	start(t, e.Engine, e.Svc)
	e.link()
	if _, err := e.Svc.SendTestWebhook(e.Ctx, e.M, e.Admin, ep.ID); access.ErrorCode(err) != access.ECONFLICT {
		t.Errorf("test event to a disabled endpoint: %v", err)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(e.recv.all()); n != 0 {
		t.Errorf("a disabled endpoint got %d webhooks", n)
	}
	if err := e.Svc.EnableWebhookEndpoint(e.Ctx, e.M, ep.ID); err != nil {
		t.Fatal(err)
	}
	e.link()
	e.recv.waitFor(t, "a webhook once enabled", func(r []received) bool { return len(r) >= 1 })
}

// TestResendAndTestEvent: Send test event delivers a webhook.test to one
// endpoint; Resend delivers a message again with its original webhook-id.
func TestResendAndTestEvent(t *testing.T) {
	e := newEnv(t)
	ep, secret := e.endpoint(e.recv.URL)
	other, _ := e.endpoint(e.recv.URL + "/other")
	start(t, e.Engine, e.Svc)
	id, err := e.Svc.SendTestWebhook(e.Ctx, e.M, e.Admin, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := e.recv.waitFor(t, "the test event", func(r []received) bool { return len(r) >= 1 })
	if got[0].Type != access.HookTest || got[0].Header.Get("webhook-id") != id {
		t.Errorf("test event: type %q id %q, want %q", got[0].Type, got[0].Header.Get("webhook-id"), id)
	}
	if err := verify(secret, got[0].Header, got[0].Body, time.Now()); err != nil {
		t.Error(err)
	}
	if err := e.Svc.ResendWebhook(e.Ctx, e.M, ep.ID, id); err != nil {
		t.Fatal(err)
	}
	got = e.recv.waitFor(t, "the resent message", func(r []received) bool { return len(r) >= 2 })
	if got[1].Header.Get("webhook-id") != id || string(got[1].Body) != string(got[0].Body) {
		t.Errorf("resent: id %q body %s", got[1].Header.Get("webhook-id"), got[1].Body)
	}
	log := waitLog(t, e, ep.ID, 2)
	if len(log) != 2 || log[0].EventType != access.HookTest || !log[0].OK {
		t.Errorf("delivery log %+v", log)
	}
	if lines, _ := e.Svc.WebhookDeliveries(e.Ctx, e.M, other.ID, 0); len(lines) != 0 {
		t.Errorf("the other endpoint's log has %d lines", len(lines))
	}
	// Another workspace's admin cannot resend it.
	m2 := e.member(e.F.OtherAdmin.ID, e.F.Internal.ID)
	if err := e.Svc.ResendWebhook(e.Ctx, m2, ep.ID, id); access.ErrorCode(err) != access.ENOTFOUND {
		t.Errorf("resend from another workspace: %v", err)
	}
}

func (e *env) member(userID, workspaceID string) *access.Membership {
	m, err := e.Svc.Membership(e.Ctx, userID, workspaceID)
	if err != nil {
		e.T.Fatal(err)
	}
	return m
}

// TestWebhookLogPruned: messages past the retention go, with their log.
func TestWebhookLogPruned(t *testing.T) {
	e := newEnv(t)
	ep, _ := e.endpoint(e.recv.URL)
	start(t, e.Engine, e.Svc)
	if _, err := e.Svc.SendTestWebhook(e.Ctx, e.M, e.Admin, ep.ID); err != nil {
		t.Fatal(err)
	}
	waitLog(t, e, ep.ID, 1)
	if n, err := e.Svc.PruneWebhookLog(e.Ctx, 100); err != nil || n != 0 {
		t.Fatalf("pruned %d (%v) before the retention", n, err)
	}
	e.Clock.Advance(access.WebhookLogRetention + time.Hour)
	if n, err := e.Svc.PruneWebhookLog(e.Ctx, 100); err != nil || n != 1 {
		t.Fatalf("pruned %d (%v), want 1", n, err)
	}
	if lines, _ := e.Svc.WebhookDeliveries(e.Ctx, e.M, ep.ID, 0); len(lines) != 0 {
		t.Errorf("%d log lines left", len(lines))
	}
}
