// Command echo is a well-behaved dbos-cloud plugin for tests. It appends its pid to
// the file named by $DBOS_PLUGINTEST_MARKER when it starts, and its commands report
// what the plugin received, fail, crash or hang on demand.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/plugintest/marker"
	"github.com/dbos-go/dbos-cloud/pkg/plugin"
	pluginpb "github.com/dbos-go/dbos-cloud/pkg/plugin/proto"
)

func main() {
	marker.Record()
	plugin.Serve(echo{})
}

type echo struct{}

func leaf(name, args string, lo, hi int32, flags ...*pluginpb.Flag) *pluginpb.Command {
	return &pluginpb.Command{Name: name, Usage: name + " for tests", ArgsUsage: args,
		MinArgs: lo, MaxArgs: hi, Flags: flags}
}

// VariantEnv set to "2" makes echo describe `say` with another --count default, as an
// upgrade that changes a command's syntax would.
const VariantEnv = "DBOS_PLUGINTEST_VARIANT"

func (echo) Describe(context.Context) (*pluginpb.Description, error) {
	countDefault := "1"
	if os.Getenv(VariantEnv) == "2" {
		countDefault = "2"
	}
	return &pluginpb.Description{
		Summary: "test plugin",
		Commands: []*pluginpb.Command{{
			Name: "echo", Aliases: []string{"ec"}, Usage: "echo for tests",
			Subcommands: []*pluginpb.Command{
				leaf("say", "WORDS...", 0, -1,
					&pluginpb.Flag{Name: "json", Type: pluginpb.FlagType_FLAG_TYPE_BOOL},
					&pluginpb.Flag{Name: "count", Aliases: []string{"n"},
						Type: pluginpb.FlagType_FLAG_TYPE_INT, DefaultValue: countDefault},
					&pluginpb.Flag{Name: "wait", Type: pluginpb.FlagType_FLAG_TYPE_DURATION,
						DefaultValue: "1s"},
					&pluginpb.Flag{Name: "name", Type: pluginpb.FlagType_FLAG_TYPE_STRING,
						Required: false, DefaultValue: "x"}),
				leaf("token", "", 0, 0),
				leaf("setorg", "ORG", 1, 1),
				leaf("fail", "CODE MESSAGE", 2, 2),
				leaf("env", "", 0, 0),
				leaf("crash", "", 0, 0),
				leaf("hang", "", 0, 0),
			},
		}},
	}, nil
}

func (echo) Run(ctx context.Context, inv plugin.Invocation, host *plugin.HostClient) error {
	out := host.Stdout()
	switch inv.Path[len(inv.Path)-1] {
	case "say":
		b, _ := json.Marshal(inv)
		fmt.Fprintf(out, "%s\n", b)
	case "token":
		t, err := host.Token(ctx, inv.Account, time.Minute)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "user=%s org=%s api=%s account=%s valid=%t\n", t.User,
			t.Organization, t.APIURL, t.Account, time.Until(t.ExpiresAt) > 0)
		// The first answer serves another minute; two hours only the host can give.
		for _, ttl := range []time.Duration{time.Minute, 2 * time.Hour} {
			if _, err := host.Token(ctx, inv.Account, ttl); err != nil {
				return err
			}
		}
	case "setorg":
		if _, err := host.Token(ctx, inv.Account, time.Minute); err != nil {
			return err
		}
		if err := host.SetOrganization(ctx, inv.Account, inv.Args[0]); err != nil {
			return err
		}
		t, err := host.Token(ctx, inv.Account, time.Minute)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "org=%s\n", t.Organization)
	case "fail":
		code, _ := strconv.Atoi(inv.Args[0])
		fmt.Fprintln(host.Stderr(), "about to fail")
		return &plugin.ExitError{Code: code, Message: inv.Args[1]}
	case "env":
		var names []string
		for _, kv := range os.Environ() {
			k, _, _ := strings.Cut(kv, "=")
			names = append(names, k)
		}
		sort.Strings(names)
		fmt.Fprintln(out, strings.Join(names, " "))
	case "crash":
		os.Exit(7)
	case "hang":
		<-ctx.Done()
		time.Sleep(time.Hour)
	}
	return nil
}
