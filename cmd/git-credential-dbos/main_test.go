package main

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/credtest"
	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
	"github.com/dbos-go/dbos-cloud/internal/testbin"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
)

// gitEnv is a clean environment for the real git: no user config, no prompts.
func gitEnv(t *testing.T, extra []string) []string {
	home := t.TempDir()
	env := append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS=",
	}, extra...)
	return env
}

// git runs `git credential OP` with this helper as the only one.
func git(t *testing.T, helper string, env []string, op, in string) (string, string, error) {
	t.Helper()
	cmd := exec.Command("git", "-c", "credential.helper=", "-c", "credential.helper="+helper,
		"credential", op)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(in)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

func parseAnswer(s string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

func TestRealGitFill(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required for this test")
	}
	emu := emulatortest.Start(t)
	d := credtest.Start(t, credtest.Options{EmulatorURL: emu.URL()})
	helper := testbin.Path(t, "cmd/git-credential-dbos")

	access, refresh := emu.Login(t, "alice@example.com", "offline_access")
	emu.Register(t, access, "alice", "")
	ctx := context.Background()
	_, err := d.Client().Store(ctx, ipc.StoreRequest{Name: "default",
		Endpoints: ipc.Endpoints{APIURL: emu.URL(), Issuer: emu.Issuer(),
			ClientID: credtest.ClientID, Audience: credtest.Audience},
		User: "alice", Organization: "alice", RefreshToken: refresh})
	if err != nil {
		t.Fatal(err)
	}

	u, _ := url.Parse(emu.URL())
	env := gitEnv(t, d.Env())
	in := "protocol=http\nhost=" + u.Host + "\npath=alice/app\n\n"
	out, errOut, err := git(t, helper, env, "fill", in)
	if err != nil {
		t.Fatalf("git credential fill: %v\n%s", err, errOut)
	}
	ans := parseAnswer(out)
	if ans["username"] != "alice" || !strings.HasPrefix(ans["password"], "eyJ") {
		t.Fatalf("fill answered username=%q and a password of %d bytes",
			ans["username"], len(ans["password"]))
	}
	// git 2.39 does not pass password_expiry_utc on to fill's output; the helper's own
	// answer carries it, checked below.
	first := ans["password"]

	// erase drops only the cached access token: the next fill works, through a new
	// refresh (two tokens minted in the same second may be identical, so count).
	before := emu.Stats(t).TokenGrants.RefreshToken
	if _, errOut, err := git(t, helper, env, "reject", in+""); err != nil {
		t.Fatalf("git credential reject: %v\n%s", err, errOut)
	}
	out, errOut, err = git(t, helper, env, "fill", in)
	if err != nil {
		t.Fatalf("fill after reject: %v\n%s", err, errOut)
	}
	if got := emu.Stats(t).TokenGrants.RefreshToken; got != before+1 {
		t.Errorf("refresh grants after reject = %d, want %d", got, before+1)
	}
	if !strings.HasPrefix(parseAnswer(out)["password"], "eyJ") {
		t.Error("fill after reject returned no token")
	}

	// An unknown host gets no answer, so git goes on and, with prompts off, fails.
	_, errOut, err = git(t, helper, env, "fill", "protocol=https\nhost=github.com\n\n")
	if err == nil {
		t.Fatal("fill for an unknown host succeeded")
	}
	credtest.CheckNoLeak(t, "git stderr", errOut, first, refresh)
	credtest.CheckNoLeak(t, "daemon log", d.Logs(), first, refresh, access)
}

func TestHelperAnswerCarriesExpiry(t *testing.T) {
	emu := emulatortest.Start(t)
	d := credtest.Start(t, credtest.Options{EmulatorURL: emu.URL()})
	access, refresh := emu.Login(t, "bob@example.com", "offline_access")
	emu.Register(t, access, "bob", "")
	_, err := d.Client().Store(context.Background(), ipc.StoreRequest{Name: "default",
		Endpoints: ipc.Endpoints{APIURL: emu.URL(), Issuer: emu.Issuer(),
			ClientID: credtest.ClientID, Audience: credtest.Audience},
		User: "bob", RefreshToken: refresh})
	if err != nil {
		t.Fatal(err)
	}

	u, _ := url.Parse(emu.URL())
	cmd := exec.Command(testbin.Path(t, "cmd/git-credential-dbos"), "get")
	cmd.Env = d.Env()
	cmd.Stdin = strings.NewReader("protocol=http\nhost=" + u.Host + "\n\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	exp := parseAnswer(string(out))["password_expiry_utc"]
	if exp == "" {
		t.Fatalf("no password_expiry_utc in the answer")
	}
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(nil, strings.NewReader(""), &out, &errOut); code != 2 {
		t.Errorf("no args: exit %d, want 2", code)
	}
	if code := run([]string{"list"}, strings.NewReader(""), &out, &errOut); code != 2 {
		t.Errorf("unknown op: exit %d, want 2", code)
	}
	if !strings.Contains(errOut.String(), "get, store or erase") {
		t.Errorf("stderr %q does not name the operations", errOut.String())
	}
}

// BenchmarkExec compares one `git-credential-dbos get` for the host of a logged-in
// account (against a warm daemon, so a cached token) with the exec of a Go
// hello-world, side by side. The target is at most 1.5x. DBOS_BENCH_BASELINE names
// an older build to measure in the same run; DBOS_BENCH_HYPERFINE=FILE also runs
// hyperfine over the same programs and appends its table to FILE.
func BenchmarkExec(b *testing.B) {
	emu := emulatortest.Start(b)
	// The daemon logs at its default level, info (credtest's debug level adds a
	// line per request, copied through a pipe by this process).
	d := credtest.Start(b, credtest.Options{EmulatorURL: emu.URL(),
		Args: []string{"--log-level", "info"}})
	helper := testbin.Path(b, "cmd/git-credential-dbos")
	hello := buildHello(b)
	u, _ := url.Parse(emu.URL())
	in := "protocol=http\nhost=" + u.Host + "\n\n"

	access, refresh := emu.Login(b, "carol@example.com", "offline_access")
	emu.Register(b, access, "carol", "")
	_, err := d.Client().Store(context.Background(), ipc.StoreRequest{Name: "default",
		Endpoints: ipc.Endpoints{APIURL: emu.URL(), Issuer: emu.Issuer(),
			ClientID: credtest.ClientID, Audience: credtest.Audience},
		User: "carol", RefreshToken: refresh})
	if err != nil {
		b.Fatal(err)
	}

	once := func(b *testing.B, path string, args ...string) {
		cmd := exec.Command(path, args...)
		cmd.Env = d.Env()
		cmd.Stdin = strings.NewReader(in)
		if out, err := cmd.Output(); err != nil || len(out) == 0 && len(args) > 0 {
			b.Fatalf("%s: %v (%d bytes)", path, err, len(out))
		}
	}
	run := func(b *testing.B, path string, args ...string) {
		for i := 0; i < b.N; i++ {
			once(b, path, args...)
		}
	}
	b.Run("hello", func(b *testing.B) { run(b, hello) })
	b.Run("git-credential-dbos", func(b *testing.B) { run(b, helper, "get") })
	// An older build of the helper, measured in the same run as the current one.
	baseline := os.Getenv("DBOS_BENCH_BASELINE")
	if baseline != "" {
		b.Run("baseline", func(b *testing.B) { run(b, baseline, "get") })
	}
	// Each program once per round, in turn, so that a change in the machine's load
	// falls on all of them: the ratios of medians are the figures to quote.
	b.Run("interleaved", func(b *testing.B) {
		progs := [][]string{{hello}, {helper, "get"}}
		if baseline != "" {
			progs = append(progs, []string{baseline, "get"})
		}
		times := make([][]time.Duration, len(progs))
		for i := 0; i < b.N; i++ {
			for j, p := range progs {
				start := time.Now()
				once(b, p[0], p[1:]...)
				times[j] = append(times[j], time.Since(start))
			}
		}
		hm := median(times[0])
		b.ReportMetric(float64(hm)/1e6, "hello-ms")
		b.ReportMetric(float64(median(times[1]))/float64(hm), "helper/hello")
		if baseline != "" {
			b.ReportMetric(float64(median(times[2]))/float64(hm), "baseline/hello")
		}
	})
	if report := os.Getenv("DBOS_BENCH_HYPERFINE"); report != "" {
		hyperfine(b, report, d.Env(), in, hello, helper, baseline)
	}
}

// hyperfine runs hyperfine over the same programs and appends its table to the
// file report. Its
// version here (1.15) cannot feed stdin without a shell, so each command is an
// exec in sh, whose spawn time hyperfine measures and subtracts.
func hyperfine(b *testing.B, report string, env []string, in string, hello, helper, baseline string) {
	input := filepath.Join(b.TempDir(), "in")
	if err := os.WriteFile(input, []byte(in), 0o600); err != nil {
		b.Fatal(err)
	}
	args := []string{"--warmup", "20", "--min-runs", "300", "-S", "sh",
		"-n", "hello", "exec " + hello + " < " + input,
		"-n", "git-credential-dbos", "exec " + helper + " get < " + input}
	if baseline != "" {
		args = append(args, "-n", "baseline", "exec "+baseline+" get < "+input)
	}
	cmd := exec.Command("hyperfine", args...)
	cmd.Env = append(env, "PATH="+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("hyperfine: %v\n%s", err, out)
	}
	f, err := os.OpenFile(report, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(out); err != nil {
		b.Fatal(err)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func buildHello(b *testing.B) string {
	dir := b.TempDir()
	src := filepath.Join(dir, "main.go")
	prog := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n"
	if err := os.WriteFile(src, []byte(prog), 0o600); err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(dir, "hello")
	cmd := exec.Command("go", "build", "-o", out, src)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GO111MODULE=off")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build hello: %v\n%s", err, msg)
	}
	return out
}

// With DBOS_CREDD_SOCKET set, the config is read only when nothing answers: a
// running daemon is used whatever the config holds, and a stopped one is started
// or not as the config says.
func TestConfigReadOnlyWhenDaemonIsDown(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	off := filepath.Join(dir, "off.toml")
	writeFile(t, bad, "[daemon]\nautostart = \"sometimes\"\n")
	writeFile(t, off, "[daemon]\nautostart = false\n")
	in := "protocol=https\nhost=cloud.dbos.dev\n\n"

	t.Setenv(ipc.EnvSocket, filepath.Join(dir, "none.sock"))
	t.Setenv("DBOS_TOKEN", "")
	for _, tc := range []struct{ config, want string }{
		{off, "is not running"},
		{bad, "autostart"},
	} {
		t.Setenv("DBOS_CONFIG", tc.config)
		var out, errOut bytes.Buffer
		if code := run([]string{"get"}, strings.NewReader(in), &out, &errOut); code != 1 ||
			!strings.Contains(errOut.String(), tc.want) {
			t.Errorf("config %s: exit %d, stderr %q; want 1 and %q", tc.config, code, errOut.String(), tc.want)
		}
	}

	d := credtest.Start(t, credtest.Options{})
	cmd := exec.Command(testbin.Path(t, "cmd/git-credential-dbos"), "get")
	cmd.Env = append(d.Env(), "DBOS_CONFIG="+bad)
	cmd.Stdin = strings.NewReader(in)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("with a running daemon and a bad config: %v\n%s", err, out)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
