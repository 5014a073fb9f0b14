package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/dbos-go/dbos-cloud/pkg/plugin/manifest"
)

// TestPluginManifestHelp checks the lean binary's seam: with a fresh manifest, help
// and usage errors of plugin commands are answered without the plugin host, which is
// started only to run a plugin command, for a word the manifest does not know, or
// when the manifest is stale.
func TestPluginManifestHelp(t *testing.T) {
	m := manifest.New()
	m.Plugins["org"] = &manifest.Entry{Description: &manifest.Description{
		Commands: []*manifest.Command{{Name: "organization", Aliases: []string{"org"},
			Usage: "Manage your organization", Subcommands: []*manifest.Command{
				{Name: "list", Usage: "List the users"},
				{Name: "remove", ArgsUsage: "USER", MinArgs: 1, MaxArgs: 1},
			}}},
	}}
	tests := []struct {
		name     string
		args     string
		fresh    bool
		wantExec bool
		wantOut  string
	}{
		{"help", "--help", true, false, "organization, org  Manage your organization"},
		{"help_lists_plugin_cmd", "--help", true, false, "plugin"},
		{"no_args", "", true, false, "organization, org"},
		{"sub_help", "org --help", true, false, "list"},
		{"usage_error", "org remove", true, false, "want exactly 1 argument(s)"},
		{"run", "-a w org list", true, true, ""},
		{"run_management", "plugin list", true, true, ""},
		{"unknown_word", "orgz", true, true, ""},
		{"stale_help", "--help", false, true, ""},
		{"version", "--version", false, false, "dbos-cloud version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			var execs []string
			deps := Deps{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" },
				PluginExec: func(args []string) error {
					execs = append(execs, strings.Join(args, " "))
					return ErrNoPluginHost
				},
				PluginManifest: func() (*manifest.Manifest, bool) { return m, tt.fresh },
			}
			args := append([]string{"dbos-cloud"}, strings.Fields(tt.args)...)
			Run(context.Background(), args, deps)
			if got := len(execs) > 0; got != tt.wantExec {
				t.Errorf("host exec %v, want %v", execs, tt.wantExec)
			}
			if tt.wantExec && execs[0] != strings.Join(args, " ") {
				t.Errorf("exec args %q", execs[0])
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("output lacks %q:\n%s", tt.wantOut, out.String())
			}
		})
	}
}
