// Command ferretdb runs FerretDB v1 embedded, as Misar Analytics' default database: on SQLite
// files under -data (the default), or with -handler=postgresql on the PostgreSQL server at
// -postgresql-url (the private cluster that src/db/postgres.ts starts). It is built from the embeddable package rather than cmd/ferretdb because the
// latter refuses to start when built with `go install` outside FerretDB's own repository.
//
// It prints one JSON line {"uri": "mongodb://..."} on stdout once it listens, and exits on
// SIGINT/SIGTERM or when its stdin closes (so it never outlives the process that started it).
//
// `ferretdb index-ids -data DIR -db NAME` instead adds, to every collection of one database, the
// SQLite index that FerretDB's exact-_id lookups can use (see index_ids.go), and exits.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "index-ids" {
		indexIDsCommand(os.Args[2:])
		return
	}
	listen := flag.String("listen", "127.0.0.1:0", "TCP address to listen on (loopback)")
	data := flag.String("data", ".data/ferretdb", "directory for the SQLite files")
	handler := flag.String("handler", "sqlite", "backend: sqlite or postgresql")
	postgresqlURL := flag.String("postgresql-url", os.Getenv("FERRETDB_POSTGRESQL_URL"), "PostgreSQL URL, for -handler=postgresql (default $FERRETDB_POSTGRESQL_URL, which keeps a password off the command line)")
	watchStdin := flag.Bool("watch-stdin", true, "exit when stdin reaches EOF")
	flag.Parse()

	config := ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listen},
		Logger:   slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Handler:  *handler,
	}
	switch *handler {
	case "sqlite":
		dir, err := filepath.Abs(*data)
		if err != nil {
			fail(err)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			fail(err)
		}
		config.SQLiteURL = "file:" + dir + "/"
	case "postgresql":
		if *postgresqlURL == "" {
			fail(fmt.Errorf("-handler=postgresql needs -postgresql-url"))
		}
		config.PostgreSQLURL = *postgresqlURL
	default:
		fail(fmt.Errorf("-handler must be sqlite or postgresql, not %q", *handler))
	}
	f, err := ferretdb.New(&config)
	if err != nil {
		fail(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}

	done := make(chan struct{})
	go func() {
		_ = f.Run(ctx)
		close(done)
	}()

	line, _ := json.Marshal(map[string]string{"uri": f.MongoDBURI()})
	fmt.Println(string(line))
	<-done
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ferretdb:", err)
	os.Exit(1)
}
