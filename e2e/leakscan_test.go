package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dbos-go/dbos-cloud/internal/leakscan"
)

// What the scripts' leak scan covers, in one place:
//
//   - secrets: every token the emulator helpers mint (user, login, invite, credfile),
//     every file a script feeds on stdin (-in), the values of secretVars handed to a
//     command or to the daemon, the keyring password, and every token a command
//     meant to print one printed;
//   - texts: the stdout and stderr of every `dbos` and `run` command of the script,
//     the dbos-credd and emulator logs (read at scan time, so they hold everything
//     up to the end), and every *.log file under $WORK (a daemon started with
//     --log-file);
//   - shapes: a JWT is allowed only on the stdout of a command meant to print an
//     access token (tokenCommand); a refresh token nowhere.
//
// The scan runs at the script's `leakscan` line and, when a script fails before it,
// when the script ends, so a leak on a failing path is reported too.

// secretVars are the environment variables whose values are secrets.
var secretVars = []string{"DBOS_TOKEN", "DBOS_REFRESH_TOKEN", "DBOS_KEYRING_PASSWORD"}

// logSource is a log read when the scan runs.
type logSource struct {
	name string
	text func() string
}

// captured is one command's output, kept for leakscan.
type captured struct {
	what           string // the command line, for reports
	stdout, stderr string
	jwtOK          bool // stdout may hold an access token (-jwt)
}

// capture keeps a command's output for the scan; a JWT it was meant to print is
// recorded, so that it is found wherever else it shows up (encoded forms included).
func (s *state) capture(ts *testscript.TestScript, what, stdout, stderr string, jwtOK bool) {
	if jwtOK && !tokenCommand(what) {
		ts.Fatalf("-jwt is only for a command meant to print a token, not %s", what)
	}
	s.outputs = append(s.outputs, captured{what, stdout, stderr, jwtOK})
	if jwtOK {
		for _, j := range leakscan.JWTs(stdout) {
			s.leaks.Add("access token printed by "+what, j)
		}
	}
}

// recordEnv records the secretVars the script hands to a command.
func (s *state) recordEnv(ts *testscript.TestScript, what string) {
	for _, k := range secretVars {
		s.leaks.Add(k+" given to "+what, ts.Getenv(k))
	}
}

// recordSecretVars records the values of secretVars among VAR=VALUE settings.
func (s *state) recordSecretVars(what string, settings []string) {
	for _, kv := range settings {
		k, v, _ := strings.Cut(kv, "=")
		if slices.Contains(secretVars, k) {
			s.leaks.Add(k+" "+what, v)
		}
	}
}

// recordStdin records what a command reads on stdin (tokens, passwords, malformed
// tokens alike): the whole file and each of its lines.
func (s *state) recordStdin(ts *testscript.TestScript, file, what string) {
	data, err := os.ReadFile(file)
	ts.Check(err)
	name := "stdin of " + what
	s.leaks.Add(name, strings.TrimSpace(string(data)))
	for _, line := range strings.Split(string(data), "\n") {
		s.leaks.Add(name, strings.TrimSpace(line))
	}
}

// tokenCommand reports whether a command line is one meant to print an access
// token, the only kind whose stdout may hold a JWT.
func tokenCommand(what string) bool {
	args := strings.Fields(what)
	if len(args) > 0 && args[0] == "dbos-cloud" {
		switch subcommand(args[1:]) {
		case "token", "env", "credential":
			return true
		}
		return false
	}
	return strings.Contains(what, "credential fill") || strings.Contains(what, "credential get")
}

// subcommand is the first argument of a dbos-cloud command line that is neither a
// global flag nor its value.
func subcommand(args []string) string {
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "-a" || args[i] == "--account" || args[i] == "--config":
			i++
		case !strings.HasPrefix(args[i], "-"):
			return args[i]
		}
	}
	return ""
}

// scan returns every leak in what the script captured so far, and the names of the
// texts it looked at.
func (s *state) scan(workDir string) (hits []leakscan.Hit, sources []string) {
	look := func(source, text string, jwtOK bool) {
		sources = append(sources, source)
		hits = append(hits, s.leaks.Find(source, text, jwtOK)...)
	}
	for _, o := range s.outputs {
		look("stdout of "+o.what, o.stdout, o.jwtOK)
		look("stderr of "+o.what, o.stderr, false)
	}
	for _, l := range s.logs {
		look(l.name, l.text(), false)
	}
	_ = filepath.WalkDir(workDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && strings.HasSuffix(path, ".log") {
			if data, err := os.ReadFile(path); err == nil {
				look(path, string(data), false)
			}
		}
		return nil
	})
	return hits, sources
}

// cmdLeakscan: leakscan fails the script, naming every leak, if anything the
// script captured holds a secret or a token-shaped string it should not.
func cmdLeakscan(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: leakscan")
	}
	s := st(ts)
	if len(s.outputs) == 0 {
		ts.Fatalf("leakscan: nothing was captured")
	}
	hits, sources := s.scan(ts.Getenv("WORK"))
	s.scanned = true
	for _, h := range hits {
		ts.Logf("%s", h)
	}
	if len(hits) > 0 {
		ts.Fatalf("leakscan: %d leaks", len(hits))
	}
	ts.Logf("leakscan: %d secrets; %d texts clean: %d commands' stdout and stderr%s",
		s.leaks.Len(), len(sources), len(s.outputs),
		strings.Join(append([]string{""}, sources[2*len(s.outputs):]...), ", "))
}

// scanAtEnd scans a script that ended without reaching leakscan (it failed first),
// reporting leaks through the test itself: testscript's Fatalf cannot be used once
// the script is over.
func (s *state) scanAtEnd(workDir string) {
	if s.scanned {
		return
	}
	hits, _ := s.scan(workDir)
	for _, h := range hits {
		s.tb.Errorf("%s (found after the script stopped)", h)
	}
}
