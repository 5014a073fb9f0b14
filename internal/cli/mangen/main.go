// Command mangen writes the dbos-cloud(1) man page from the CLI's command tree, so
// the page never drifts from the flags and commands:
//
//	go run ./internal/cli/mangen -o man/dbos-cloud.1
//
// It must be built without the urfave_cli_no_docs tag (which the released binaries
// use to leave urfave/cli's documentation code out). Plugin commands are not in the
// page; it points to `dbos-cloud --help`, which lists them.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cpuguy83/go-md2man/v2/md2man"

	"github.com/dbos-go/dbos-cloud/internal/cli"
	"github.com/dbos-go/dbos-cloud/internal/version"
)

func main() {
	out := flag.String("o", "man/dbos-cloud.1", "output `FILE`")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintf(os.Stderr, "mangen: %v\n", err)
		os.Exit(1)
	}
}

func run(out string) error {
	page, err := render(version.String())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(out), err)
	}
	if err := os.WriteFile(out, page, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}

// render builds the page: urfave's markdown of the command tree, with this
// project's sections added, turned into roff.
func render(ver string) ([]byte, error) {
	app := cli.CommandTree(ver)
	app.Description = description
	md, err := app.ToMarkdown()
	if err != nil {
		return nil, fmt.Errorf("render command tree: %w", err)
	}
	doc := "% dbos-cloud 1 \"\" \"dbos-cloud " + ver + "\"\n\n" + md + sections
	return md2man.Render([]byte(doc)), nil
}
