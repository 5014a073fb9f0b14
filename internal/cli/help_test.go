package cli

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/internal/plugintest"
	"github.com/dbos-go/dbos-cloud/pkg/plugin"
	"github.com/dbos-go/dbos-cloud/pkg/plugin/manifest"
)

// urfaveHelp renders templ for data with urfave/cli's own template printer, which
// printHelp replaces (cli.HelpPrinterCustom is left as urfave's).
func urfaveHelp(templ string, data any) string {
	var b bytes.Buffer
	cli.HelpPrinterCustom(&b, templ, data, nil)
	return b.String()
}

func handHelp(templ string, data any) string {
	var b bytes.Buffer
	printHelp(&b, templ, data)
	return b.String()
}

// orgManifest is the manifest the lean CLI reads for the real org plugin: the plugin
// host describes the built binary and saves it, and it is read back from disk.
func orgManifest(tb testing.TB) *manifest.Manifest {
	tb.Helper()
	dir := tb.TempDir()
	plugintest.Install(tb, dir, "org")
	path := filepath.Join(tb.TempDir(), "plugins.json")
	h := &plugin.Host{Dirs: []string{dir}, ManifestPath: path}
	if _, err := h.Commands(context.Background()); err != nil {
		tb.Fatalf("describe the org plugin: %v", err)
	}
	m := manifest.Load(path)
	if len(m.Plugins) != 1 {
		tb.Fatalf("manifest has %d plugins, want the org plugin", len(m.Plugins))
	}
	return m
}

// edgeManifest is a plugin using what a description may hold: nested groups, aliases,
// paragraphs, every flag type with defaults, required flags, arguments.
func edgeManifest(tb testing.TB) *manifest.Manifest {
	tb.Helper()
	flags := []*manifest.Flag{
		{Name: "name", Aliases: []string{"n"}, Usage: "the `NAME` to give",
			Type: manifest.FlagString, Default: "x"},
		{Name: "force", Usage: "do it anyway", Type: manifest.FlagBool, Default: "true"},
		{Name: "count", Usage: "how many", Type: manifest.FlagInt, Default: "3"},
		{Name: "wait", Usage: "how long", Type: manifest.FlagDuration, Default: "1m30s"},
		{Name: "zone", Usage: "where (required)", Type: manifest.FlagString, Required: true},
	}
	d := &manifest.Description{Commands: []*manifest.Command{{
		Name: "widget", Aliases: []string{"widgets", "w"}, Usage: "Manage widgets",
		Description: "Widgets are small.\n\nA second paragraph,\n  indented.",
		Subcommands: []*manifest.Command{
			{Name: "create", Usage: "Create a widget", ArgsUsage: "NAME [SIZE]",
				MinArgs: 1, MaxArgs: 2, Flags: flags},
			{Name: "group", Aliases: []string{"g"}, Usage: "Widget groups",
				Subcommands: []*manifest.Command{
					{Name: "add", Usage: "Add to a group", ArgsUsage: "GROUP WIDGET...",
						MinArgs: 2, MaxArgs: -1, Flags: flags[:2]},
					{Name: "rm", Description: "No usage line, only this."},
				}},
			{Name: "plain"},
		},
	}}}
	if err := d.Validate(); err != nil {
		tb.Fatal(err)
	}
	m := manifest.New()
	m.Plugins["edge"] = &manifest.Entry{Path: "/x/dbos-cloud-plugin-edge", Description: d}
	return m
}

// helpDeps are the lean binary's: plugin commands from the manifest m; starting the
// plugin host fails the test.
func helpDeps(t *testing.T, out io.Writer, m *manifest.Manifest) Deps {
	return Deps{Stdout: out, Stderr: io.Discard, Version: "1.2.3",
		Getenv: func(string) string { return "" },
		PluginExec: func(args []string) error {
			t.Errorf("help started the plugin host: %q", args)
			return ErrNoPluginHost
		},
		PluginManifest: func() (*manifest.Manifest, bool) { return m, true },
	}
}

// setUpApp builds the app as Run does for args and runs it into nowhere, so that the
// commands on the way are set up (help names, help flags) as they are when help for
// them is printed.
func setUpApp(t *testing.T, m *manifest.Manifest, args []string) *cli.App {
	e := newEnv(helpDeps(t, io.Discard, m))
	app := e.newApp()
	app.Writer = io.Discard
	if _, done := e.addPlugins(context.Background(), app, args); done {
		t.Fatalf("%q: plugins not loaded from the manifest", args)
	}
	_ = app.RunContext(context.Background(), args)
	return app
}

// commandPaths lists the path of every command in cmds, depth first.
func commandPaths(cmds []*cli.Command, parent []string) [][]string {
	var out [][]string
	for _, c := range cmds {
		p := append(append([]string(nil), parent...), c.Name)
		out = append(out, p)
		out = append(out, commandPaths(c.Subcommands, p)...)
	}
	return out
}

func findPath(cmds []*cli.Command, path []string) *cli.Command {
	var c *cli.Command
	for _, name := range path {
		c = nil
		for _, cand := range cmds {
			if cand.HasName(name) {
				c = cand
			}
		}
		if c == nil {
			return nil
		}
		cmds = c.Subcommands
	}
	return c
}

// TestHelpMatchesUrfave prints the help of the app and of every command (built-in,
// the real org plugin's from its manifest, plugin management, and an edge-case plugin)
// through Run, as `CMD --help` and as `help CMD`, and compares it byte for byte with
// urfave/cli's template printer on the same command. It also compares the two
// printers on both command templates for every command.
func TestHelpMatchesUrfave(t *testing.T) {
	manifests := map[string]*manifest.Manifest{"org": orgManifest(t), "edge": edgeManifest(t)}
	for mname, m := range manifests {
		tree := setUpApp(t, m, []string{"dbos-cloud", "--help"}).Commands
		paths := append([][]string{nil}, commandPaths(tree, nil)...)
		for _, path := range paths {
			t.Run(mname+"/"+strings.Join(path, "_"), func(t *testing.T) {
				checkHelp(t, m, path)
			})
		}
	}
}

func checkHelp(t *testing.T, m *manifest.Manifest, path []string) {
	args := append(append([]string{"dbos-cloud"}, path...), "--help")
	var got bytes.Buffer
	if code := Run(context.Background(), args, helpDeps(t, &got, m)); code != ExitOK {
		t.Fatalf("%q: exit %d", args, code)
	}

	app := setUpApp(t, m, args)
	var want string
	if len(path) == 0 {
		want = urfaveHelp(cli.AppHelpTemplate, app)
	} else {
		c := findPath(app.Commands, path)
		if c == nil {
			t.Fatalf("no command %q", path)
		}
		templ := cli.CommandHelpTemplate
		if len(c.VisibleCommands()) > 1 { // more than urfave's own help command
			templ = cli.SubcommandHelpTemplate
		}
		want = urfaveHelp(templ, c)
		for _, tp := range []string{cli.CommandHelpTemplate, cli.SubcommandHelpTemplate} {
			if h, u := handHelp(tp, c), urfaveHelp(tp, c); h != u {
				t.Errorf("template for %q differs:\n--- hand\n%s--- urfave\n%s", path, h, u)
			}
		}
	}
	if got.String() != want {
		t.Errorf("%q:\n--- got\n%s--- urfave\n%s", args, got.String(), want)
	}
	if !strings.HasPrefix(want, "NAME:\n") || !strings.Contains(want, "   --help, -h ") {
		t.Errorf("urfave's help looks wrong (the comparison proves nothing):\n%s", want)
	}

	var viaWord bytes.Buffer
	wordArgs := append([]string{"dbos-cloud", "help"}, path...)
	if code := Run(context.Background(), wordArgs, helpDeps(t, &viaWord, m)); code != ExitOK {
		t.Fatalf("%q: exit %d", wordArgs, code)
	}
	if viaWord.String() != got.String() {
		t.Errorf("%q differs from %q:\n%s", wordArgs, args, viaWord.String())
	}
}

// TestHelpOnUsageError checks the help printed after a plugin command's usage error
// (the lean CLI leaves those to urfave's style: message, blank line, command help).
func TestHelpOnUsageError(t *testing.T) {
	m := edgeManifest(t)
	tests := []struct {
		path []string // the command
		args []string // its arguments
		msg  string
	}{
		{[]string{"w", "g", "add"}, []string{"a"},
			"want at least 2 argument(s) (GROUP WIDGET...), got 1"},
		{[]string{"widget", "plain"}, []string{"x"}, "want exactly 0 argument(s) (), got 1"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.path, "_"), func(t *testing.T) {
			args := append(append([]string{"dbos-cloud"}, tt.path...), tt.args...)
			var got bytes.Buffer
			if code := Run(context.Background(), args, helpDeps(t, &got, m)); code != ExitUsage {
				t.Errorf("exit %d, want %d", code, ExitUsage)
			}
			c := findPath(setUpApp(t, m, args).Commands, tt.path)
			want := "Incorrect Usage: " + tt.msg + "\n\n" + urfaveHelp(cli.SubcommandHelpTemplate, c)
			if got.String() != want {
				t.Errorf("got\n%s\nwant\n%s", got.String(), want)
			}
		})
	}
}

// TestHelpWithBrokenPlugin: a fresh manifest that records a plugin as failed (it
// could not describe itself when it was last started) still answers help and
// completion without the plugin host, with the working plugins' commands and a
// warning naming the broken one. A word that no plugin provides still goes to the host.
func TestHelpWithBrokenPlugin(t *testing.T) {
	m := edgeManifest(t)
	m.Plugins["crash"] = manifest.NewFailedEntry(
		manifest.Binary{Name: "crash", Path: "/x/dbos-cloud-plugin-crash"},
		"crashed: exited before the handshake")
	wantWarn := `warning: some plugin commands are missing: plugin "crash": failed when ` +
		`it was last started: crashed: exited before the handshake; fix or remove ` +
		`/x/dbos-cloud-plugin-crash, then run "dbos-cloud plugin verify"` + "\n"
	for _, tt := range []struct {
		args, want string
	}{
		{"--help", "widget, widgets, w  Manage widgets"},
		{"help", "widget, widgets, w  Manage widgets"},
		{"widget --help", "Create a widget"},
		{completionFlag, "widget\n"},
	} {
		t.Run(tt.args, func(t *testing.T) {
			var out, errOut bytes.Buffer
			deps := helpDeps(t, &out, m) // starting the host fails the test
			deps.Stderr = &errOut
			args := append([]string{"dbos-cloud"}, strings.Fields(tt.args)...)
			if code := Run(context.Background(), args, deps); code != 0 {
				t.Errorf("exit %d, stderr %q", code, errOut.String())
			}
			if !strings.Contains(out.String(), tt.want) || strings.Contains(out.String(), "crash") {
				t.Errorf("output lacks %q or names the broken plugin:\n%s", tt.want, out.String())
			}
			want := wantWarn
			if tt.args == completionFlag {
				want = "" // stderr would land on the shell's prompt
			}
			if errOut.String() != want {
				t.Errorf("stderr %q\nwant %q", errOut.String(), want)
			}
		})
	}

	var execs [][]string
	deps := helpDeps(t, io.Discard, m)
	deps.PluginExec = func(args []string) error {
		execs = append(execs, args)
		return ErrNoPluginHost
	}
	Run(context.Background(), []string{"dbos-cloud", "crash"}, deps)
	if len(execs) != 1 {
		t.Errorf("a word no plugin provides started the host %d times, want once", len(execs))
	}

	// A good plugin's command goes to the host, which warns itself: no warning here.
	var errOut bytes.Buffer
	deps.Stderr = &errOut
	Run(context.Background(), []string{"dbos-cloud", "widget", "plain"}, deps)
	if len(execs) != 2 || strings.Contains(errOut.String(), "warning") {
		t.Errorf("hand-over: %d execs, stderr %q; want the host started, no warning",
			len(execs)-1, errOut.String())
	}
}

// TestHelpWordSkipsPlugins: `help BUILTIN` is answered without reading the manifest,
// like `BUILTIN --help`; `help` alone and `help PLUGINCMD` read it.
func TestHelpWordSkipsPlugins(t *testing.T) {
	for _, tt := range []struct {
		args     string
		manifest bool
	}{
		{"help token", false},
		{"-a x help daemon install", false},
		{"help", true},
		{"help widget group", true},
	} {
		reads := 0
		deps := helpDeps(t, io.Discard, manifest.New())
		deps.PluginManifest = func() (*manifest.Manifest, bool) { reads++; return edgeManifest(t), true }
		args := append([]string{"dbos-cloud"}, strings.Fields(tt.args)...)
		Run(context.Background(), args, deps)
		if got := reads > 0; got != tt.manifest {
			t.Errorf("%q read the manifest: %v, want %v", tt.args, got, tt.manifest)
		}
	}
}

func TestHelpWord(t *testing.T) {
	tests := []struct{ in, want string }{
		{"dbos-cloud help", "dbos-cloud --help"},
		{"dbos-cloud help org list", "dbos-cloud org list --help"},
		{"dbos-cloud -a help help token", "dbos-cloud -a help token --help"},
		{"dbos-cloud --json help", "dbos-cloud --json --help"},
		{"dbos-cloud token help", "dbos-cloud token help"},
		{"dbos-cloud -- help", "dbos-cloud -- help"},
		{"dbos-cloud help --generate-bash-completion", "dbos-cloud help --generate-bash-completion"},
		{"dbos-cloud", "dbos-cloud"},
		{"dbos-cloud --config", "dbos-cloud --config"},
	}
	for _, tt := range tests {
		if got := strings.Join(helpWord(strings.Fields(tt.in)), " "); got != tt.want {
			t.Errorf("helpWord(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// layoutApp uses every part of urfave's default templates that our commands do not:
// usage text, authors, copyright, named command and flag categories, hidden commands
// and flags, multi-line and non-ASCII text, a line long enough to be wrapped.
func layoutApp(out io.Writer, long string) *cli.App {
	catFlags := []cli.Flag{
		&cli.StringFlag{Name: "zeta", Usage: "last `Z`", Category: "Tuning"},
		&cli.IntFlag{Name: "alpha", Aliases: []string{"a"}, Value: 2, Category: "Tuning"},
		&cli.BoolFlag{Name: "naïve", Usage: "ünïcödé\nsecond line"},
		&cli.StringSliceFlag{Name: "tag", EnvVars: []string{"TAGS"}, Category: "Other"},
		&cli.BoolFlag{Name: "secret", Hidden: true},
	}
	return &cli.App{
		Name: "tool", Usage: "does\nthings", UsageText: "tool [opts]\nsecond usage line",
		Version: "9", Description: "Para one.\n\nPara two: " + long,
		Authors:   []*cli.Author{{Name: "Ann", Email: "ann@example.com"}, {Name: "Bob"}},
		Copyright: "(c) nobody\n  all rights", Writer: out, ErrWriter: io.Discard,
		Flags: catFlags, Args: true, ExitErrHandler: func(*cli.Context, error) {},
		Commands: []*cli.Command{
			{Name: "zed", Category: "Later", Usage: "z\twith a tab"},
			{Name: "apple", Aliases: []string{"ap"}, Category: "early", Usage: "a",
				Flags: catFlags, Subcommands: []*cli.Command{
					{Name: "pie", Usage: long, Args: true},
					{Name: "crumble", UsageText: "crumble it", Category: "c", Hidden: false},
					{Name: "tart", Hidden: true},
				}},
			{Name: "loose", Usage: "no category", ArgsUsage: "[X]",
				Flags: []cli.Flag{&cli.BoolFlag{Name: "v", Usage: long}}},
			{Name: "hidden", Hidden: true},
		},
	}
}

// TestHelpLayouts compares the printers on layouts our commands do not use yet, so
// that a command added later prints as urfave would.
func TestHelpLayouts(t *testing.T) {
	for _, long := range []string{"short", strings.Repeat("word ", 2500)} {
		for _, path := range [][]string{nil, {"zed"}, {"apple"}, {"apple", "pie"},
			{"apple", "crumble"}, {"loose"}} {
			app := layoutApp(io.Discard, long)
			_ = app.Run(append(append([]string{"tool"}, path...), "--help"))
			if len(path) == 0 {
				if h, u := handHelp(cli.AppHelpTemplate, app), urfaveHelp(cli.AppHelpTemplate, app); h != u {
					t.Errorf("app help differs:\n--- hand\n%s--- urfave\n%s", h, u)
				}
				continue
			}
			c := findPath(app.Commands, path)
			for _, tp := range []string{cli.CommandHelpTemplate, cli.SubcommandHelpTemplate} {
				if h, u := handHelp(tp, c), urfaveHelp(tp, c); h != u {
					t.Errorf("%q differs:\n--- hand\n%s--- urfave\n%s", path, h, u)
				}
			}
		}
	}

	// A command never set up (help asked through urfave's ShowCommandHelp) is left to
	// urfave's printer, which fails on it part way; the output is the same.
	app := layoutApp(io.Discard, "x")
	app.Setup()
	c := findPath(app.Commands, []string{"apple"})
	if h, u := handHelp(cli.SubcommandHelpTemplate, c), urfaveHelp(cli.SubcommandHelpTemplate, c); h != u {
		t.Errorf("un-set-up command differs:\n--- hand\n%s--- urfave\n%s", h, u)
	}
	// A custom template goes to urfave's printer.
	if h := handHelp("custom {{.Name}}", c); h != "custom apple" {
		t.Errorf("custom template: %q", h)
	}
}

// FuzzHelpText compares the two printers on arbitrary text where a plugin's
// description puts it: usages, descriptions, argument usages, flag usages.
func FuzzHelpText(f *testing.F) {
	f.Add("Manage things", "Line one.\n\nLine two.", "A B", "the `NAME`", "x")
	f.Add("", "", "", "", "")
	f.Add("tab\there", "\n\n  \n", "[X...]", "multi\nline\n", "naïve\tvalue")
	f.Fuzz(func(t *testing.T, usage, desc, argsUsage, flagUsage, def string) {
		build := func() *cli.App {
			sub := &cli.Command{Name: "leaf", Usage: usage, Description: desc, ArgsUsage: argsUsage,
				Flags: []cli.Flag{&cli.StringFlag{Name: "opt", Usage: flagUsage, Value: def},
					&cli.BoolFlag{Name: "b", Usage: usage}}}
			return &cli.App{Name: "tool", Usage: usage, Description: desc, Writer: io.Discard,
				ErrWriter: io.Discard, ExitErrHandler: func(*cli.Context, error) {},
				Flags:    []cli.Flag{&cli.StringFlag{Name: "g", Usage: flagUsage, Value: def}},
				Commands: []*cli.Command{{Name: "grp", Usage: desc, Subcommands: []*cli.Command{sub}}}}
		}
		app := build()
		app.Setup()
		if h, u := handHelp(cli.AppHelpTemplate, app), urfaveHelp(cli.AppHelpTemplate, app); h != u {
			t.Fatalf("app help differs:\n--- hand\n%q\n--- urfave\n%q", h, u)
		}
		app = build()
		_ = app.Run([]string{"tool", "grp", "leaf", "--help"})
		for _, path := range [][]string{{"grp"}, {"grp", "leaf"}} {
			c := findPath(app.Commands, path)
			for _, tp := range []string{cli.CommandHelpTemplate, cli.SubcommandHelpTemplate} {
				if h, u := handHelp(tp, c), urfaveHelp(tp, c); h != u {
					t.Fatalf("%q differs:\n--- hand\n%q\n--- urfave\n%q", path, h, u)
				}
			}
		}
	})
}

// BenchmarkHelp renders `dbos-cloud --help` (built-in and org plugin commands) with
// the hand-written printer and with urfave's template printer.
func BenchmarkHelp(b *testing.B) {
	m := orgManifest(b)
	e := newEnv(Deps{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" },
		PluginExec:     func([]string) error { return ErrNoPluginHost },
		PluginManifest: func() (*manifest.Manifest, bool) { return m, true }})
	app := e.newApp()
	app.Writer = io.Discard
	args := []string{"dbos-cloud", "--help"}
	e.addPlugins(context.Background(), app, args)
	_ = app.RunContext(context.Background(), args)

	b.Run("hand", func(b *testing.B) {
		for b.Loop() {
			printHelp(io.Discard, cli.AppHelpTemplate, app)
		}
	})
	b.Run("urfave", func(b *testing.B) {
		for b.Loop() {
			cli.HelpPrinterCustom(io.Discard, cli.AppHelpTemplate, app, nil)
		}
	})
}
