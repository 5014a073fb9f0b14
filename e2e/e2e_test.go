// Package e2e drives the real dbos-cloud binary against a real dbos-cloud-emulator
// and a real dbos-credd, with testscript scripts in testdata/. Each script starts its
// own emulator and daemon through the custom commands below, and ends with leakscan,
// which fails if any output held a token it should not.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dbos-go/dbos-cloud/internal/credtest"
	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
	"github.com/dbos-go/dbos-cloud/internal/leakscan"
	"github.com/dbos-go/dbos-cloud/internal/testbin"
)

// stateKey holds the per-script *state in testscript's Values.
type stateKey struct{}

// state is what one script's custom commands share.
type state struct {
	tb     testing.TB
	emu    *emulatortest.Emulator
	daemon *credtest.Daemon
	// leaks holds every secret the script created or handed to a command; the
	// outputs and logs are scanned for them (see leakscan_test.go).
	leaks   *leakscan.Set
	logs    []logSource
	outputs []captured
	scanned bool // leakscan ran: the end-of-script scan need not
}

// passEnv are the variables handed to dbos-cloud from the script's environment.
var passEnv = []string{
	"PATH", "HOME", "TMPDIR", "DBOS_TOKEN", "DBOS_REFRESH_TOKEN", "DBOS_ACCOUNT", "DBOS_DOMAIN",
	"DBOS_AUTH_DOMAIN", "DBOS_CLIENT_ID", "DBOS_CONFIG", "DBOS_CREDD_SOCKET", "XDG_CONFIG_HOME",
	"XDG_DATA_HOME", "XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "XDG_STATE_HOME", "NO_COLOR",
	// For the integration scripts: env's default shell, and a daemon that
	// `dbos-cloud daemon start` starts (it inherits the CLI's environment).
	"SHELL", "DBOS_KEYRING_BACKEND", "DBOS_KEYRING_PASSWORD",
}

func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams(t, "testdata"))
}

// scriptParams runs the scripts in dir with the binaries on PATH, a fresh state
// per script and the custom commands below.
func scriptParams(t *testing.T, dir string) testscript.Params {
	bins := []string{
		testbin.Path(t, "cmd/dbos-cloud"),
		testbin.Path(t, "cmd/dbos-credd"),
		testbin.Path(t, "cmd/dbos-cloud-emulator"),
		// Plugin commands: dbos-cloud executes dbos-cloud-host, which finds the org
		// plugin next to itself.
		testbin.Named(t, "cmd/dbos-cloud/host", "dbos-cloud-host"),
		testbin.Named(t, "plugins/org", "dbos-cloud-plugin-org"),
	}
	var dirs []string
	for _, b := range bins {
		dirs = append(dirs, filepath.Dir(b))
	}

	return testscript.Params{
		Dir: dir,
		Setup: func(env *testscript.Env) error {
			tb, ok := env.T().(testing.TB)
			if !ok {
				return fmt.Errorf("testscript T is not a testing.TB")
			}
			env.Setenv("PATH", strings.Join(dirs, string(os.PathListSeparator))+
				string(os.PathListSeparator)+os.Getenv("PATH"))
			// A daemon the CLI starts logs here, where the leak scan reads it.
			env.Setenv("XDG_STATE_HOME", filepath.Join(env.WorkDir, "state"))
			s := &state{tb: tb, leaks: leakscan.New()}
			env.Values[stateKey{}] = s
			env.Defer(func() { s.scanAtEnd(env.WorkDir) })
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"emulator": cmdEmulator,
			"daemon":   cmdDaemon,
			"dbos":     cmdDBOS,
			"leakscan": cmdLeakscan,
			"mode":     cmdMode,
			"envfile":  cmdEnvfile,
			"run":      cmdRun,
			"shortdir": cmdShortdir,
			"need":     cmdNeed,
		},
	}
}

// TestScriptsEndWithLeakscan keeps the rule that every script scans its outputs.
func TestScriptsEndWithLeakscan(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txtar")
	if len(files) == 0 {
		t.Fatal("no scripts")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		script, _, _ := strings.Cut(string(data), "\n-- ")
		lines := strings.Split(strings.TrimSpace(script), "\n")
		if strings.TrimSpace(lines[len(lines)-1]) != "leakscan" {
			t.Errorf("%s does not end with leakscan", f)
		}
	}
}

func st(ts *testscript.TestScript) *state { return ts.Value(stateKey{}).(*state) }

// cmdEmulator:
//
//	emulator start [flags]            start one; export DBOS_DOMAIN, DBOS_AUTH_DOMAIN
//	emulator user IDENTITY USERNAME   log IDENTITY in over HTTP and register USERNAME
//	emulator login IDENTITY SCOPE FILE   write IDENTITY's refresh token (or access
//	                                  token when SCOPE is sub) to FILE, as a secret
//	emulator invite IDENTITY ORG FILE write an invite secret of ORG to FILE
//	emulator credfile IDENTITY USER ORG FILE  write an official .dbos/credentials
//	emulator fault PATH STATUS COUNT  fail the next COUNT requests to PATH (0: all)
//	emulator clear                    remove every fault
func cmdEmulator(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: emulator start|user|login|invite|credfile ...")
	}
	s := st(ts)
	if args[0] != "start" && s.emu == nil {
		ts.Fatalf("emulator not started")
	}
	switch args[0] {
	case "start":
		s.emu = emulatortest.Start(s.tb, args[1:]...)
		s.logs = append(s.logs, logSource{"emulator log", s.emu.Logs})
		ts.Setenv("DBOS_DOMAIN", s.emu.URL())
		ts.Setenv("DBOS_AUTH_DOMAIN", s.emu.URL())
		ts.Setenv("DBOS_CLIENT_ID", credtest.ClientID)
		ts.Setenv("EMULATOR", s.emu.URL())
	case "user":
		access := s.login(args[1], "sub")
		s.emu.Register(s.tb, access, args[2], "")
	case "login":
		access, refresh := s.emu.Login(s.tb, args[1], args[2])
		s.leaks.Add("access token of "+args[1], access)
		tok := refresh
		if args[2] == "sub" {
			tok = access
		}
		s.secret(ts, args[3], tok)
	case "invite":
		access := s.login(args[1], "sub")
		code, body := s.emu.API(s.tb, http.MethodGet, "/v1alpha1/"+args[2]+"/secret", access, nil)
		var inv string
		if code != http.StatusOK || json.Unmarshal(body, &inv) != nil {
			ts.Fatalf("invite: status %d: %s", code, body)
		}
		s.secret(ts, args[3], inv)
	case "credfile":
		access, refresh := s.emu.Login(s.tb, args[1], "offline_access")
		s.leaks.Add("access token in "+args[4], access)
		s.leaks.Add("refresh token in "+args[4], refresh)
		data, _ := json.Marshal(map[string]string{"token": access, "refreshToken": refresh,
			"userName": args[2], "organization": args[3]})
		ts.Check(os.WriteFile(ts.MkAbs(args[4]), append(data, '\n'), 0o600))
	case "fault":
		status, err := strconv.Atoi(args[2])
		ts.Check(err)
		count, err := strconv.Atoi(args[3])
		ts.Check(err)
		s.emu.Fault(s.tb, args[1], status, 0, count)
	case "clear":
		s.emu.ClearFaults(s.tb)
	default:
		ts.Fatalf("emulator: unknown subcommand %q", args[0])
	}
}

// secret writes tok to file (with a newline, as a user would) and records it.
func (s *state) secret(ts *testscript.TestScript, file, tok string) {
	if tok == "" {
		ts.Fatalf("no token for %s", file)
	}
	s.leaks.Add("token in "+file, tok)
	ts.Check(os.WriteFile(ts.MkAbs(file), []byte(tok+"\n"), 0o600))
}

// login logs identity in at the emulator and records the tokens it minted.
func (s *state) login(identity, scope string) (access string) {
	access, refresh := s.emu.Login(s.tb, identity, scope)
	s.leaks.Add("access token of "+identity, access)
	s.leaks.Add("refresh token of "+identity, refresh)
	return access
}

// cmdDaemon: daemon start [VAR=VALUE...] | daemon stop. Start exports the daemon's
// client environment (socket, config, XDG dirs).
func cmdDaemon(ts *testscript.TestScript, neg bool, args []string) {
	s := st(ts)
	if neg || len(args) == 0 {
		ts.Fatalf("usage: daemon start|stop")
	}
	switch args[0] {
	case "start":
		opts := credtest.Options{Env: args[1:]}
		if s.emu != nil {
			opts.EmulatorURL = s.emu.URL()
		}
		s.leaks.Add("keyring password", credtest.KeyringPassword)
		s.recordSecretVars("given to dbos-credd", args[1:])
		s.daemon = credtest.Start(s.tb, opts)
		s.logs = append(s.logs, logSource{"dbos-credd log", s.daemon.Logs})
		for _, kv := range s.daemon.Env() {
			k, v, _ := strings.Cut(kv, "=")
			ts.Setenv(k, v)
		}
	case "stop":
		s.daemon.Stop(s.tb)
	default:
		ts.Fatalf("daemon: unknown subcommand %q", args[0])
	}
}

var userCodeRE = regexp.MustCompile(`User code: (\S+)`)

// cmdDBOS runs dbos-cloud:
//
//	dbos [-code N] [-in FILE] [-approve IDENTITY | -deny | -interrupt] [-jwt] ARGS...
//
// -code is the expected exit code (default 0); -in feeds FILE on stdin; -approve
// reads the user code the login prints and approves it as IDENTITY through the
// emulator's test API (-deny denies it, -interrupt sends SIGINT as Ctrl-C would);
// -jwt allows an access token on stdout.
func cmdDBOS(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("use dbos -code N instead of ! dbos")
	}
	s := st(ts)
	want, stdin, approve, deny, jwtOK, interrupt := 0, "", "", false, false, false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-a" && args[0] != "--" {
		switch args[0] {
		case "-code":
			n, err := strconv.Atoi(args[1])
			ts.Check(err)
			want, args = n, args[1:]
		case "-in":
			stdin, args = ts.MkAbs(args[1]), args[1:]
		case "-approve":
			approve, args = args[1], args[1:]
		case "-deny":
			deny = true
		case "-interrupt":
			interrupt = true
		case "-jwt":
			jwtOK = true
		default:
			goto run
		}
		args = args[1:]
	}
run:
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, lookPath(ts, "dbos-cloud"), args...)
	cmd.Dir = ts.MkAbs(".")
	for _, k := range passEnv {
		if v := ts.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	what := "dbos-cloud " + strings.Join(args, " ")
	s.recordEnv(ts, what)
	if stdin != "" {
		s.recordStdin(ts, stdin, what)
		f, err := os.Open(stdin)
		ts.Check(err)
		defer f.Close()
		cmd.Stdin = f
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	pipe, err := cmd.StderrPipe()
	ts.Check(err)
	ts.Check(cmd.Start())

	// The user code is read and approved on this goroutine: the emulator harness
	// may fail the test, which only the test's goroutine may do. Whatever the
	// scanner leaves (a line beyond its limit) is still kept for leakscan.
	sc := bufio.NewScanner(pipe)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		stderr.WriteString(line + "\n")
		if m := userCodeRE.FindStringSubmatch(line); m != nil {
			switch {
			case interrupt:
				ts.Check(cmd.Process.Signal(os.Interrupt))
			case deny:
				s.emu.Deny(s.tb, m[1])
			case approve != "":
				s.emu.Approve(s.tb, m[1], approve)
			}
		}
	}
	_, _ = io.Copy(&stderr, pipe)
	err = cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if ctx.Err() != nil {
		ts.Fatalf("dbos-cloud %s: timed out", strings.Join(args, " "))
	}

	fmt.Fprint(ts.Stdout(), stdout.String())
	fmt.Fprint(ts.Stderr(), stderr.String())
	s.capture(ts, what, stdout.String(), stderr.String(), jwtOK)
	if code != want {
		ts.Fatalf("dbos-cloud %s: exit %d (%v), want %d", strings.Join(args, " "), code, err, want)
	}
}

// lookPath finds prog on the script's PATH.
func lookPath(ts *testscript.TestScript, prog string) string {
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		p := filepath.Join(dir, prog)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	ts.Fatalf("%s not on PATH", prog)
	return ""
}

// cmdMode: mode FILE PERM checks a file's permission bits, e.g. mode f 0600.
func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mode FILE PERM")
	}
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	if got := uint64(fi.Mode().Perm()); (got == want) == neg {
		ts.Fatalf("%s has mode %#o, want %#o", args[0], got, want)
	}
}

// cmdEnvfile: envfile VAR FILE sets VAR to FILE's first line, so that a token reaches
// an environment variable without appearing in the script.
func cmdEnvfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: envfile VAR FILE")
	}
	data, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	line, _, _ := strings.Cut(string(data), "\n")
	ts.Setenv(args[0], strings.TrimSpace(line))
}
