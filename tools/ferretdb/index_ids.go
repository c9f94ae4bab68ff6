package main

import (
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // the driver FerretDB itself uses, at the version it pins
)

// idIndexSuffix names our index beside FerretDB's own (`<table>_<index name>`).
const idIndexSuffix = "_misar_id_lookup"

// FerretDB v1.24 answers a filter that is exactly {_id: <string or ObjectId>} with
// `WHERE _ferretdb_sjson->'$._id' = ?`, but it creates the unique _id index on
// `_ferretdb_sjson->"_id"`: the same value, yet not the same expression to SQLite's planner, so
// every exact-_id find, update and delete scans the whole table. An index on the very expression
// of that WHERE clause makes them index lookups. FerretDB does not know of it (it is not in
// listIndexes); SQLite keeps it up to date and drops it with the table.
func indexIDsCommand(args []string) {
	fs := flag.NewFlagSet("index-ids", flag.ExitOnError)
	data := fs.String("data", ".data/ferretdb", "directory of the SQLite files")
	name := fs.String("db", "", "database name")
	_ = fs.Parse(args)
	if *name == "" {
		fail(fmt.Errorf("index-ids: -db is required"))
	}
	created, err := indexIDs(filepath.Join(*data, *name+".sqlite"))
	if err != nil {
		fail(err)
	}
	line, _ := json.Marshal(map[string]int{"created": created})
	fmt.Println(string(line))
}

// indexIDs adds the index to every collection table of one database file that lacks it and
// returns how many it created. The file must exist (mode=rw: never create one FerretDB has not).
func indexIDs(file string) (int, error) {
	if _, err := os.Stat(file); err != nil {
		return 0, err
	}
	// FerretDB's own default busy timeout: a lock held by FerretDB is waited for, not an error.
	dsn := "file:" + (&url.URL{Path: file}).EscapedPath() + "?mode=rw&_pragma=busy_timeout(10000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()

	rows, err := db.Query(`SELECT table_name FROM _ferretdb_collections`)
	if err != nil {
		return 0, err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return 0, err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}

	created := 0
	for _, t := range tables {
		index := t + idIndexSuffix
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?`, index).Scan(&n); err != nil {
			return created, err
		}
		if n > 0 {
			continue
		}
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, index, t)
		if _, err := db.Exec(q); err != nil {
			return created, err
		}
		created++
	}
	return created, nil
}
