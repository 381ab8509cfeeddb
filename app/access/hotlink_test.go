package access

import (
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm/schema"

	"github.com/accessrequests/accessrequests/app/access/hotsql"
	"github.com/accessrequests/accessrequests/models"
)

// TestHotLinkColumns fails when models.AccessLink gains a column that the
// hand-scanned reads (hotsql.LinkColumns, scanLink) would leave out.
func TestHotLinkColumns(t *testing.T) {
	sch, err := schema.Parse(&models.AccessLink{}, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range sch.Fields {
		if f.DBName != "" {
			want = append(want, "l."+f.DBName)
		}
	}
	got := strings.Fields(strings.ReplaceAll(hotsql.LinkColumns, ",", " "))
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("hotsql.LinkColumns:\n%v\nmodels.AccessLink's columns, in order:\n%v", got, want)
	}
}
