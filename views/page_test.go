package views

import (
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
)

// TestRelative checks the wording at the boundaries of each unit: durations
// are rounded the way people read them (item 21: a link made a minute ago
// expires "in 7 days", not "in 6 days").
func TestRelative(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	const day = 24 * time.Hour
	tests := []struct {
		d    time.Duration // t - now
		want string
	}{
		{0, "just now"},
		{-59 * time.Second, "just now"},
		{59 * time.Second, "in less than a minute"},
		{time.Minute, "in 1 minute"},
		{-time.Minute, "1 minute ago"},
		{89 * time.Second, "in 1 minute"},
		{90 * time.Second, "in 2 minutes"},
		{59*time.Minute + 29*time.Second, "in 59 minutes"},
		{59*time.Minute + 30*time.Second, "in 1 hour"},
		{time.Hour, "in 1 hour"},
		{90*time.Minute - time.Second, "in 1 hour"},
		{90 * time.Minute, "in 2 hours"},
		{-3 * time.Hour, "3 hours ago"},
		{47*time.Hour + 29*time.Minute, "in 47 hours"},
		{47*time.Hour + 30*time.Minute, "in 2 days"},
		{48 * time.Hour, "in 2 days"},
		{-48 * time.Hour, "2 days ago"},
		{2*day + 11*time.Hour + 59*time.Minute, "in 2 days"},
		{2*day + 12*time.Hour, "in 3 days"},
		// A link lives 7 days: made a minute (or a few hours) ago, it
		// still expires "in 7 days".
		{7 * day, "in 7 days"},
		{7*day - time.Minute, "in 7 days"},
		{7*day - 12*time.Hour, "in 7 days"},
		{7*day - 12*time.Hour - time.Second, "in 6 days"},
		{-(7*day - time.Minute), "7 days ago"},
		{-30 * day, "30 days ago"},
	}
	for _, tt := range tests {
		if got := Relative(now.Add(tt.d), now); got != tt.want {
			t.Errorf("Relative(now%+v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// TestDays: the link lifetime in words comes from the duration the page
// carries (access.LinkLifetime), not from a number written in the views.
func TestDays(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{7 * day, "7 days"}, {day, "1 day"}, {36 * time.Hour, "2 days"}, {30 * day, "30 days"},
	} {
		if got := Days(tc.d); got != tc.want {
			t.Errorf("Days(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	if got := (&Page{LinkLifetime: 3 * day}).Lifetime(); got != 3*day {
		t.Errorf("Lifetime = %v, want the page's", got)
	}
	if got := (&Page{}).Lifetime(); got != access.LinkLifetime {
		t.Errorf("Lifetime of a page without one = %v, want access.LinkLifetime", got)
	}
}

// TestLoginThrottled: the sign-in throttle's sentence reads as English and
// names the wait in whole minutes, rounded up.
func TestLoginThrottled(t *testing.T) {
	for _, tc := range []struct {
		wait time.Duration
		want string
	}{
		{0, "Too many sign-in attempts. Please try again in 1 minute."},
		{30 * time.Second, "Too many sign-in attempts. Please try again in 1 minute."},
		{time.Minute, "Too many sign-in attempts. Please try again in 1 minute."},
		{61 * time.Second, "Too many sign-in attempts. Please try again in 2 minutes."},
		{15 * time.Minute, "Too many sign-in attempts. Please try again in 15 minutes."},
	} {
		if got := LoginThrottled(tc.wait); got != tc.want {
			t.Errorf("wait %v: %q, want %q", tc.wait, got, tc.want)
		}
	}
}
