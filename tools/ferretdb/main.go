// Command ferretdb runs FerretDB v1 (SQLite backend) embedded, as Misar Analytics' default
// database. It is built from the embeddable package rather than cmd/ferretdb because the
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
	watchStdin := flag.Bool("watch-stdin", true, "exit when stdin reaches EOF")
	flag.Parse()

	dir, err := filepath.Abs(*data)
	if err != nil {
		fail(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		fail(err)
	}

	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
	})
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
