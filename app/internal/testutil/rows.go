package testutil

import (
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
)

// RowOf reads the row of T whose id is id in the database of svc (built by
// NewService), failing tb if there is none.
func RowOf[T any](tb testing.TB, svc *access.Service, id string) T {
	tb.Helper()
	var row T
	if err := DBOf(svc).Where("id = ?", id).Take(&row).Error; err != nil {
		tb.Fatalf("read %T %s: %v", row, id, err)
	}
	return row
}

// CountOf counts the rows of T in the database of svc that match where.
func CountOf[T any](tb testing.TB, svc *access.Service, where string, args ...any) int64 {
	tb.Helper()
	var n int64
	if err := DBOf(svc).Model(new(T)).Where(where, args...).Count(&n).Error; err != nil {
		tb.Fatal(err)
	}
	return n
}
