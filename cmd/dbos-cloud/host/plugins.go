package main

import (
	"context"
	"os"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/internal/cli"
	"github.com/dbos-go/dbos-cloud/pkg/plugin"
)

// pluginCommands is Deps.PluginCommands: the commands of the plugins found in the
// default directories, described from the manifest cache, and `plugin list|verify`.
func pluginCommands(ctx context.Context, svc cli.Services) ([]*ucli.Command, error) {
	h := &plugin.Host{
		Dirs:         plugin.DefaultDirs(),
		ManifestPath: plugin.DefaultManifestPath(),
		Services:     pluginServices{svc},
		Stdin:        os.Stdin,
	}
	cmds, err := h.Commands(ctx)
	return append(cmds, h.ManagementCommand()), err
}

// pluginServices adapts the CLI's token sources to what the plugin host lends a
// plugin: access tokens and account facts, never a refresh token.
type pluginServices struct{ svc cli.Services }

func (p pluginServices) Token(ctx context.Context, account string, minTTL time.Duration) (plugin.TokenInfo, error) {
	c, err := p.svc.AccessToken(ctx, account, minTTL)
	if err != nil {
		return plugin.TokenInfo{}, err
	}
	return plugin.TokenInfo{Account: c.Account, AccessToken: c.AccessToken, ExpiresAt: c.Expiry,
		User: c.User, Organization: c.Organization, APIURL: c.APIURL}, nil
}

func (p pluginServices) SetOrganization(ctx context.Context, account, org string) error {
	return p.svc.SetOrganization(ctx, account, org)
}
