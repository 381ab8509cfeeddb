package telemetry

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"
)

// GormPlugin makes each statement GORM sends a client span, a child of the
// span in the statement's context, named "OPERATION table" (or the SQL's
// first word), holding the SQL with its placeholders and never the bound
// values. Install it with db.Use only when Enabled: unset, it is not there.
func GormPlugin() gorm.Plugin { return gormPlugin{} }

type gormPlugin struct{}

func (gormPlugin) Name() string { return "telemetry" }

const gormSpanKey = "telemetry:span"

func (gormPlugin) Initialize(db *gorm.DB) error {
	cb := db.Callback()
	for _, p := range []struct {
		op     string
		before func(string, func(*gorm.DB)) error
		after  func(string, func(*gorm.DB)) error
	}{
		{"INSERT", cb.Create().Before("gorm:create").Register, cb.Create().After("gorm:create").Register},
		{"SELECT", cb.Query().Before("gorm:query").Register, cb.Query().After("gorm:query").Register},
		{"UPDATE", cb.Update().Before("gorm:update").Register, cb.Update().After("gorm:update").Register},
		{"DELETE", cb.Delete().Before("gorm:delete").Register, cb.Delete().After("gorm:delete").Register},
		{"", cb.Row().Before("gorm:row").Register, cb.Row().After("gorm:row").Register},
		{"", cb.Raw().Before("gorm:raw").Register, cb.Raw().After("gorm:raw").Register},
	} {
		op := p.op
		if err := p.before("telemetry:before", func(tx *gorm.DB) { startStatement(tx, op) }); err != nil {
			return err
		}
		if err := p.after("telemetry:after", endStatement); err != nil {
			return err
		}
	}
	return nil
}

func startStatement(tx *gorm.DB, op string) {
	ctx := tx.Statement.Context
	if ctx == nil || !trace.SpanContextFromContext(ctx).IsValid() {
		return // a statement outside any request or job: no orphan traces
	}
	tx.Statement.Settings.Store(gormSpanKey+":parent", ctx)
	ctx, span := Tracer().Start(ctx, "db", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", tx.Dialector.Name())))
	tx.Statement.Context = ctx
	tx.Statement.Settings.Store(gormSpanKey, span)
	tx.Statement.Settings.Store(gormSpanKey+":op", op)
}

func endStatement(tx *gorm.DB) {
	v, ok := tx.Statement.Settings.LoadAndDelete(gormSpanKey)
	if !ok {
		return
	}
	span := v.(trace.Span)
	if parent, ok := tx.Statement.Settings.LoadAndDelete(gormSpanKey + ":parent"); ok {
		tx.Statement.Context = parent.(context.Context) // a reused statement starts from the request again
	}
	opv, _ := tx.Statement.Settings.LoadAndDelete(gormSpanKey + ":op")
	op, _ := opv.(string)
	sql := tx.Statement.SQL.String()
	if op == "" {
		op = strings.ToUpper(firstWord(sql))
	}
	name := op
	t := tx.Statement.Table
	if e := tx.Statement.TableExpr; e != nil { // "workspaces AS w": the table, not its alias
		t = strings.Trim(firstWord(e.SQL), "\"`")
	}
	if t != "" && !strings.ContainsAny(t, " (") {
		name += " " + t
		span.SetAttributes(attribute.String("db.collection.name", t))
	}
	span.SetName(name)
	const maxSQL = 2000
	if len(sql) > maxSQL {
		sql = sql[:maxSQL]
	}
	span.SetAttributes(attribute.String("db.operation.name", op), attribute.String("db.query.text", sql),
		attribute.Int64("db.response.returned_rows", tx.Statement.RowsAffected))
	if err := tx.Error; err != nil && err != gorm.ErrRecordNotFound {
		span.SetStatus(codes.Error, "statement failed")
	}
	span.End()
}

func firstWord(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " \t\n("); i > 0 {
		return s[:i]
	}
	return s
}
