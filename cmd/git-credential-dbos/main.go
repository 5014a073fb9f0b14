// Command git-credential-dbos is a git credential helper that answers with a DBOS
// Cloud access token: `git config credential.helper dbos`. It links neither gRPC nor
// the keyring, because git runs it once per request.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dbos-go/dbos-cloud/config"
	"github.com/dbos-go/dbos-cloud/internal/credclient"
	"github.com/dbos-go/dbos-cloud/pkg/cloud"
	"github.com/dbos-go/dbos-cloud/pkg/gitcred"
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
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
		t, err := cloud.ResolveTarget(os.Getenv("DBOS_DOMAIN"), "", "")
		if err != nil {
			return nil, err
		}
		name := os.Getenv("DBOS_ACCOUNT")
		if name == "" {
			name = "env"
		}
		return gitcred.Static{Account: name, APIURL: t.APIURL, Access: secret.New(tok)}, nil
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
