package cli

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/dist"
)

// Service managers `daemon install` writes files for.
const (
	managerSystemd = "systemd"
	managerLaunchd = "launchd"
)

type daemonInstallOptions struct {
	Manager string
	// Credd is the dbos-credd to run; "" means the one found next to dbos-cloud or
	// on PATH.
	Credd  string
	DryRun bool
}

// serviceFile is one file install writes.
type serviceFile struct {
	Path string
	Data string
}

func newDaemonInstallCmd(e *env, runF func(context.Context, *daemonInstallOptions) error) *cli.Command {
	if runF == nil {
		runF = e.runDaemonInstall
	}
	return &cli.Command{
		Name: "install",
		Usage: "write the service files that start dbos-credd at login " +
			"(systemd user units, or a launchd agent on macOS)",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "systemd", Usage: "write systemd user units (default on Linux)"},
			&cli.BoolFlag{Name: "launchd", Usage: "write a launchd agent (default on macOS)"},
			&cli.StringFlag{Name: "credd", Usage: "dbos-credd `PATH` to run (default: next to dbos-cloud, or on PATH)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "print the files and where they would go; write nothing"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("daemon install takes no arguments")
			}
			o := &daemonInstallOptions{Credd: c.String("credd"), DryRun: c.Bool("dry-run"),
				Manager: defaultManager(runtime.GOOS)}
			switch {
			case c.Bool("systemd") && c.Bool("launchd"):
				return usageErrorf("daemon install: choose one of --systemd and --launchd")
			case c.Bool("systemd"):
				o.Manager = managerSystemd
			case c.Bool("launchd"):
				o.Manager = managerLaunchd
			}
			return runF(c.Context, o)
		},
	}
}

func defaultManager(goos string) string {
	if goos == "darwin" {
		return managerLaunchd
	}
	return managerSystemd
}

func (e *env) runDaemonInstall(_ context.Context, o *daemonInstallOptions) error {
	credd, err := e.absCredd(o.Credd)
	if err != nil {
		return err
	}
	files, next, err := e.serviceFiles(o.Manager, credd)
	if err != nil {
		return err
	}

	for _, f := range files {
		if o.DryRun {
			fmt.Fprintf(e.stdout, "# would write %s\n%s\n", f.Path, f.Data)
			continue
		}
		if err := writeServiceFile(f); err != nil {
			return err
		}
		e.success("wrote %s", f.Path)
	}
	e.info("Next, run:")
	for _, cmd := range next {
		e.info("  %s", cmd)
	}
	return nil
}

// serviceFiles fills the templates of manager in with credd and returns the files
// and the commands that enable them.
func (e *env) serviceFiles(manager, credd string) ([]serviceFile, []string, error) {
	home := e.getenv("HOME")
	if home == "" {
		return nil, nil, badInputf("daemon install: HOME is not set")
	}
	if manager == managerLaunchd {
		tmpl, err := fs.ReadFile(dist.Files, "launchd/dev.dbos.credd.plist")
		if err != nil {
			return nil, nil, fmt.Errorf("read launchd template: %w", err)
		}
		path := filepath.Join(home, "Library", "LaunchAgents", "dev.dbos.credd.plist")
		data := strings.NewReplacer(dist.LaunchdCredd, xmlEscape(credd),
			dist.LaunchdLog, xmlEscape(filepath.Join(home, "Library", "Logs", "dbos-credd.log"))).
			Replace(string(tmpl))
		return []serviceFile{{path, data}}, []string{"launchctl bootstrap gui/$(id -u) " + posixQuote(path)}, nil
	}

	dir := e.getenv("XDG_CONFIG_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		dir = filepath.Join(home, ".config")
	}
	dir = filepath.Join(dir, "systemd", "user")
	var files []serviceFile
	for _, name := range []string{"dbos-credd.socket", "dbos-credd.service"} {
		tmpl, err := fs.ReadFile(dist.Files, "systemd/"+name)
		if err != nil {
			return nil, nil, fmt.Errorf("read systemd template: %w", err)
		}
		files = append(files, serviceFile{filepath.Join(dir, name), withExecStart(string(tmpl), credd)})
	}
	return files, []string{"systemctl --user daemon-reload && systemctl --user enable --now dbos-credd.socket"}, nil
}

// withExecStart points the unit's ExecStart at credd, keeping its arguments.
func withExecStart(unit, credd string) string {
	lines := strings.Split(unit, "\n")
	for i, l := range lines {
		rest, ok := strings.CutPrefix(l, "ExecStart=")
		if !ok {
			continue
		}
		_, args, _ := strings.Cut(rest, " ")
		lines[i] = "ExecStart=" + systemdQuote(credd)
		if args != "" {
			lines[i] += " " + args
		}
	}
	return strings.Join(lines, "\n")
}

// systemdQuote makes a path one word of a unit's command line: % starts a
// specifier and $ a variable, so both are doubled; whitespace, quotes and
// backslashes need a double-quoted word with C-style escapes (systemd.service(5)).
func systemdQuote(p string) string {
	p = strings.NewReplacer("%", "%%", "$", "$$").Replace(p)
	if !strings.ContainsAny(p, " \t\"'\\") {
		return p
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(p) + `"`
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}

// writeServiceFile writes f through a temporary file and a rename, so that a
// service manager never reads half a file.
func writeServiceFile(f serviceFile) error {
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(f.Path), err)
	}
	tmp := f.Path + ".tmp"
	if err := os.WriteFile(tmp, []byte(f.Data), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", f.Path, err)
	}
	if err := os.Rename(tmp, f.Path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", f.Path, err)
	}
	return nil
}
