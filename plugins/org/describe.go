package main

import (
	"context"

	pluginpb "github.com/dbos-go/dbos-cloud/pkg/plugin/proto"
)

func jsonFlag() *pluginpb.Flag {
	return &pluginpb.Flag{Name: "json", Usage: "print JSON", Type: pluginpb.FlagType_FLAG_TYPE_BOOL}
}

// Describe returns the command tree of CONTRACT.md §5.
func (p *provider) Describe(context.Context) (*pluginpb.Description, error) {
	return &pluginpb.Description{
		Summary: "Organization commands: invite, list, join, rename, remove",
		Commands: []*pluginpb.Command{{
			Name:    "organization",
			Aliases: []string{"organizations", "org"},
			Usage:   "manage your DBOS Cloud organization",
			Subcommands: []*pluginpb.Command{
				{
					Name:  "invite",
					Usage: "create a single-use secret (valid 24 hours) for another user to join",
					Flags: []*pluginpb.Flag{jsonFlag()},
				},
				{
					Name:  "list",
					Usage: "list the users of your organization",
					Flags: []*pluginpb.Flag{jsonFlag()},
				},
				{
					Name:        "join",
					Usage:       "join an organization with an invite secret",
					Description: "With \"-\" as SECRET, the secret is read from standard input.",
					ArgsUsage:   "ORG SECRET|-",
					MinArgs:     2, MaxArgs: 2,
				},
				{
					Name:        "rename",
					Usage:       "rename your organization (admin only)",
					Description: "Application URLs change with the organization's name.",
					ArgsUsage:   "OLD NEW",
					MinArgs:     2, MaxArgs: 2,
				},
				{
					Name:      "remove",
					Usage:     "remove a user from your organization (admin only)",
					ArgsUsage: "USER",
					MinArgs:   1, MaxArgs: 1,
				},
			},
		}},
	}, nil
}
