package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/pkg/plugin/manifest"
)

// addPlugins gives app the plugin commands when the command line may need them (its
// first word is not a built-in command, and it is not --version). With
// Deps.PluginCommands (the plugin host) they come with the ability to run. Otherwise
// (the lean dbos-cloud) they are built from a fresh manifest, for help, completion and
// usage errors; running one hands the command line to the plugin host, as does any
// line the manifest cannot answer. done means the run is over with exit code code.
func (e *env) addPlugins(ctx context.Context, app *cli.App, args []string) (code int, done bool) {
	first := firstCommand(args)
	if isBuiltin(app, first) ||
		first == "" && (slices.Contains(args, "--version") || slices.Contains(args, "-v")) {
		return 0, false
	}
	deps := e.deps
	if deps.PluginCommands != nil {
		cmds, err := deps.PluginCommands(ctx, e)
		app.Commands = append(app.Commands, cmds...)
		switch {
		case err != nil && first != "" && first != "help" && !isBuiltin(app, first):
			// The command asked for is missing because a plugin failed.
			return e.report(fmt.Errorf("load plugins: %w", pluginError(err))), true
		case err != nil:
			e.pluginWarning = err
		}
		return 0, false
	}
	if deps.PluginExec == nil {
		return 0, false
	}

	if cmds, ok := e.manifestCommands(args, first); ok {
		app.Commands = append(app.Commands, cmds...)
		return 0, false
	}
	if err := e.execHost(args); !errors.Is(err, ErrNoPluginHost) {
		return e.report(err), true
	}
	return 0, false // no plugin host: handled here, as an unknown command
}

// manifestCommands builds the plugin commands from the manifest (Deps.PluginManifest)
// when it describes exactly the installed plugins and has the command asked for (or
// help is asked for). Each leaf runs by handing the command line to the plugin host.
// A plugin that failed when it was last started has no commands and is only warned
// about: the host would not start it again either, until its binary changes.
func (e *env) manifestCommands(args []string, first string) ([]*cli.Command, bool) {
	if e.deps.PluginManifest == nil {
		return nil, false
	}
	m, fresh := e.deps.PluginManifest()
	if !fresh {
		return nil, false
	}
	run := func(*cli.Context, string, []string, *manifest.Command) error {
		e.pluginWarning = nil // the host warns itself
		if err := e.execHost(args); !errors.Is(err, ErrNoPluginHost) {
			return err
		}
		return &Error{Code: ExitPlugin, Err: ErrNoPluginHost}
	}
	cmds, err := m.Commands(run, nil)
	cmds = append(cmds, manifest.Build("", manifest.Management(), run, nil))
	if first != "" && first != "help" &&
		!slices.ContainsFunc(cmds, func(c *cli.Command) bool { return c.HasName(first) }) {
		return nil, false // unknown here: the host answers, as it would for a typo
	}
	e.pluginWarning = errors.Join(err, m.Failures())
	return cmds, true
}

// execHost replaces this process with the plugin host; it returns only on failure.
func (e *env) execHost(args []string) error {
	err := e.deps.PluginExec(args)
	if errors.Is(err, ErrNoPluginHost) {
		return err
	}
	return fmt.Errorf("start plugin host: %w", pluginError(err))
}
