// Command git-credential-dbos is a git credential helper that answers with a DBOS
// Cloud access token: `git config credential.helper dbos`. It links neither gRPC nor
// the keyring, nor net/http and crypto/tls (TestDependencies), because git runs it
// once per request.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dbos-go/dbos-cloud/config"
	"github.com/dbos-go/dbos-cloud/internal/credclient"
	"github.com/dbos-go/dbos-cloud/pkg/cloud/apihost"
	"github.com/dbos-go/dbos-cloud/pkg/gitcred"
	"github.com/dbos-go/dbos-cloud/pkg/ipc/ipcwire"
	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, in io.Reader, out, errOut io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(errOut, "usage: git-credential-dbos get|store|erase (git runs this; "+
			"configure it with: git config credential.helper dbos)")
		return 2
	}
	// No signal handling: git runs this once per request, it holds nothing to clean
	// up, and a signal's default action (exit) is the right answer. signal.Notify
	// would start a dedicated thread, a tenth of a millisecond of every run.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	b, err := backend()
	if err == nil {
		err = gitcred.Serve(ctx, args[0], in, out, b)
	}
	if err != nil {
		fmt.Fprintf(errOut, "git-credential-dbos: %v\n", err)
		if errors.Is(err, gitcred.ErrUnknownOperation) {
			return 2
		}
		return 1
	}
	return 0
}

// backend picks DBOS_TOKEN when set, as every dbos-cloud command does, else the
// daemon.
func backend() (gitcred.Backend, error) {
	if tok := os.Getenv("DBOS_TOKEN"); tok != "" {
		t, err := apihost.Resolve(os.Getenv("DBOS_DOMAIN"), "", "")
		if err != nil {
			return nil, err
		}
		name := os.Getenv("DBOS_ACCOUNT")
		if name == "" {
			name = "env"
		}
		return gitcred.Static{Account: name, APIURL: t.APIURL, Access: secret.New(tok)}, nil
	}

	// With DBOS_CREDD_SOCKET set the socket does not depend on the config, which
	// then only says whether and how to start the daemon: it is read only if
	// nothing answers. An invalid config therefore goes unnoticed while the daemon
	// runs, as it would in any other client that already holds a connection.
	if os.Getenv(ipcwire.EnvSocket) != "" {
		return gitcred.Daemon{Client: ipcwire.NewClient(ipcwire.ClientOptions{
			Timeout: ipcwire.DefaultClientTimeout, AutostartFunc: autostartFromConfig})}, nil
	}

	cfg, err := config.Load(config.DefaultPath())
	if err != nil {
		return nil, err
	}
	o, err := credclient.Resolve(cfg, "")
	if err != nil {
		return nil, err
	}
	return gitcred.Daemon{Client: credclient.New(o)}, nil
}

// autostartFromConfig reads the config and says how to start the daemon, as
// credclient.New would have; nil when the config turns autostart off.
func autostartFromConfig() (*ipcwire.AutostartOptions, error) {
	cfg, err := config.Load(config.DefaultPath())
	if err != nil {
		return nil, err
	}
	o, err := credclient.Resolve(cfg, "")
	if err != nil || o.Command == "" {
		return nil, err
	}
	return &ipcwire.AutostartOptions{Command: o.Command, Wait: credclient.AutostartWait}, nil
}
