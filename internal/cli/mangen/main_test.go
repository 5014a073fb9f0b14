package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbos-go/dbos-cloud/internal/cli"
)

// TestPageCoversTree checks that every built-in command and subcommand, and the
// sections added here, reach the page.
func TestPageCoversTree(t *testing.T) {
	out := filepath.Join(t.TempDir(), "man", "dbos-cloud.1")
	if err := run(out); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	if !strings.Contains(page, "\n.TH dbos-cloud 1 ") {
		t.Fatalf("no .TH header for section 1:\n%.200s", page)
	}
	for _, want := range []string{"ENVIRONMENT", "EXIT STATUS", "DBOS_REFRESH_TOKEN", "128+N"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, c := range cli.CommandTree("test").Commands {
		if !strings.Contains(page, "\n.SH "+c.Name+"\n") {
			t.Errorf("command %s is missing", c.Name)
		}
		for _, s := range c.Subcommands {
			if !strings.Contains(page, "\n.SS "+s.Name+"\n") {
				t.Errorf("command %s %s is missing", c.Name, s.Name)
			}
		}
	}
	for _, flag := range []string{"--dry-run", "--launchd", "--min-ttl", "--shell"} {
		if !strings.Contains(page, strings.ReplaceAll(flag, "-", `\-`)) && !strings.Contains(page, flag) {
			t.Errorf("flag %s is missing", flag)
		}
	}
}
