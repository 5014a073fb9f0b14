package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dbos-go/dbos-cloud/pkg/ipc"
)

// runEnv are the variables `run` hands to its program besides passEnv.
var runEnv = []string{"EMULATOR", "WORK"}

// cmdRun runs any program (git, bash, sh) with the script's dbos-cloud environment
// and keeps its output for leakscan:
//
//	run [-code N] [-jwt] PROG ARGS...
//
// -code is the expected exit code (default 0); -jwt allows an access token on
// stdout (git credential fill prints one). git never prompts and reads no system
// config.
func cmdRun(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("use run -code N instead of ! run")
	}
	want, jwtOK := 0, false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-code":
			n, err := strconv.Atoi(args[1])
			ts.Check(err)
			want, args = n, args[1:]
		case "-jwt":
			jwtOK = true
		default:
			ts.Fatalf("run: unknown option %s", args[0])
		}
		args = args[1:]
	}
	if len(args) == 0 {
		ts.Fatalf("usage: run [-code N] [-jwt] PROG ARGS...")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = []string{"GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0"}
	for _, k := range append(append([]string(nil), passEnv...), runEnv...) {
		if v := ts.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	s := st(ts)
	what := strings.Join(args, " ")
	s.recordEnv(ts, what)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		ts.Fatalf("%s: timed out", strings.Join(args, " "))
	}

	fmt.Fprint(ts.Stdout(), stdout.String())
	fmt.Fprint(ts.Stderr(), stderr.String())
	s.capture(ts, what, stdout.String(), stderr.String(), jwtOK)
	if code := cmd.ProcessState.ExitCode(); code != want {
		ts.Fatalf("%s: exit %d (%v), want %d", strings.Join(args, " "), code, err, want)
	}
}

// cmdShortdir: shortdir VAR makes a short temporary directory (mode 0700) for a
// socket, sets VAR to it, and at the end of the script stops a daemon left
// listening in it (a script that fails half-way must not leave one running).
func cmdShortdir(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: shortdir VAR")
	}
	dir, err := os.MkdirTemp("", "d")
	ts.Check(err)
	ts.Setenv(args[0], dir)
	ts.Defer(func() {
		stopDaemonIn(dir)
		_ = os.RemoveAll(dir)
	})
}

// stopDaemonIn sends SIGTERM to a daemon answering on dir/credd.sock and waits a
// little for it to go.
func stopDaemonIn(dir string) {
	sock := filepath.Join(dir, "credd.sock")
	c := ipc.NewClient(ipc.ClientOptions{Path: sock, Timeout: 2 * time.Second})
	defer c.Close()
	st, err := c.Status(context.Background())
	if err != nil || st.PID <= 1 {
		return
	}
	_ = syscall.Kill(st.PID, syscall.SIGTERM)
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(sock); err != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cmdNeed: need PROG... skips the script when a program is missing, except in CI
// (CI=true), where its absence fails the script.
func cmdNeed(ts *testscript.TestScript, neg bool, args []string) {
	for _, prog := range args {
		if _, err := exec.LookPath(prog); err != nil {
			if os.Getenv("CI") == "true" {
				ts.Fatalf("%s is required in CI: %v", prog, err)
			}
			st(ts).tb.Skip(prog + " not installed")
		}
	}
}
