// atlas-sum: Atlas's own reading of a migration directory's atlas.sum, for
// the migration tests to hold lake-orm's sum file against.
//
//	atlas-sum hash DIR      print the atlas.sum Atlas computes for DIR's *.sql
//	atlas-sum validate DIR  exit 1 (saying why) when DIR's atlas.sum does not
//	                        match its files, as `atlas migrate validate` does
package main

import (
	"fmt"
	"os"

	"ariga.io/atlas/sql/migrate"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: atlas-sum hash|validate DIR")
		os.Exit(2)
	}
	dir, err := migrate.NewLocalDir(os.Args[2])
	if err != nil {
		fail(err)
	}
	switch os.Args[1] {
	case "hash":
		sum, err := dir.Checksum()
		if err != nil {
			fail(err)
		}
		text, err := sum.MarshalText()
		if err != nil {
			fail(err)
		}
		os.Stdout.Write(text)
	case "validate":
		// Atlas reports a missing or mismatched sum (and which file) as
		// an error; so does it an unreadable directory.
		if err := migrate.Validate(dir); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("ok")
	default:
		fmt.Fprintln(os.Stderr, "usage: atlas-sum hash|validate DIR")
		os.Exit(2)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "atlas-sum:", err)
	os.Exit(3)
}
