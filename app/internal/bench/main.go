// Command bench measures the consent page and the links list of the app
// against a bare program that sends the same SQL and writes the same bytes
// (README.md in this folder).
//
//	go run ./app/internal/bench              every figure of docs/benchmarks.md
//	go run ./app/internal/bench -quick       a few seconds (CI: checks it still works)
//	go run ./app/internal/bench bare ...     the bare program (started by the runner)
package main

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/accessrequests/accessrequests/app/secret"
)

func main() {
	log.SetFlags(0)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "bare" {
		err = runBare(ctx, os.Args[2:])
	} else {
		err = runBench(ctx, os.Args[1:])
	}
	if err != nil {
		log.Fatalf("bench: %v", err)
	}
}

// runBare serves the bare program on -addr until ctx ends. The database and
// the key come from the environment the app reads (DATABASE_URL, DATA_DIR,
// APP_SECRET_KEY, APP_BASE_URL).
func runBare(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bare", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	probe := fs.Bool("probe", false, "also send the consent page's collapse probe (the app before issue 14)")
	_ = fs.Parse(args)
	raw, err := base64.StdEncoding.DecodeString(os.Getenv("APP_SECRET_KEY"))
	if err != nil {
		return fmt.Errorf("APP_SECRET_KEY: %w", err)
	}
	keys, err := secret.NewKeyring(raw)
	if err != nil {
		return err
	}
	db, err := openBare(ctx, os.Getenv("DATABASE_URL"), os.Getenv("DATA_DIR")+"/accessrequests.db")
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: *addr, Handler: newBare(db, keys, os.Getenv("APP_BASE_URL"), *probe).handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		return err
	}
	return nil
}
