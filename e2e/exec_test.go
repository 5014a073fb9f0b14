package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/credtest"
	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
	"github.com/dbos-go/dbos-cloud/internal/leakscan"
	"github.com/dbos-go/dbos-cloud/internal/testbin"
)

// TestExecChild runs `dbos-cloud exec` against a real daemon and looks at the child
// from outside, through /proc: the token is in its environment and in no process's
// argv, every forwarded signal reaches it, and its exit status comes back.
func TestExecChild(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	cli := testbin.Path(t, "cmd/dbos-cloud")
	emu := emulatortest.Start(t, "--approve-as", "alice")
	d := credtest.Start(t, credtest.Options{EmulatorURL: emu.URL()})
	env := append(envWithoutDBOS(), d.Env()...)
	access, _ := emu.Login(t, "alice", "sub")
	leaks := leakscan.New()
	leaks.Add("access token of alice", access)
	t.Cleanup(func() {
		leaks.Check(t, "dbos-credd log", d.Logs(), false)
		leaks.Check(t, "emulator log", emu.Logs(), false)
	})
	emu.Register(t, access, "alice", "")
	out, err := runCmd(env, "", cli, "login", "--no-browser", "--get-refresh-token")
	if err != nil {
		t.Fatalf("login: %v\n%s", err, out)
	}
	leaks.Check(t, "output of dbos-cloud login", string(out), false)

	t.Run("signals", func(t *testing.T) {
		dir := t.TempDir()
		script := `echo $$ > pid; for s in HUP USR1 USR2 QUIT INT; do trap "echo $s >> got" $s; done; ` +
			`trap "exit 42" TERM; while :; do sleep 0.05; done`
		cmd, child := startExec(t, leaks, env, dir, cli, "sh", "-c", script)

		tok := childToken(t, child)
		leaks.Add("DBOS_TOKEN of the exec child", tok)
		for _, pid := range []int{cmd.Process.Pid, child} {
			if argv := procFile(t, pid, "cmdline"); strings.Contains(argv, tok) {
				t.Errorf("the token is in the argv of pid %d", pid)
			}
		}
		if strings.Contains(procFile(t, cmd.Process.Pid, "environ"), tok) {
			t.Error("the token is in dbos-cloud's own environment")
		}

		sigs := []syscall.Signal{syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGQUIT, syscall.SIGINT}
		names := []string{"HUP", "USR1", "USR2", "QUIT", "INT"}
		for i, sig := range sigs {
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the child to trap "+names[i], func() bool {
				got, _ := os.ReadFile(filepath.Join(dir, "got"))
				return strings.Contains(string(got), names[i]+"\n")
			})
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := exitCode(t, cmd); code != 42 {
			t.Errorf("exit %d, want the child's 42", code)
		}
	})

	t.Run("killed-by-signal", func(t *testing.T) {
		dir := t.TempDir()
		cmd, _ := startExec(t, leaks, env, dir, cli, "sh", "-c", "echo $$ > pid; exec sleep 60")
		if err := cmd.Process.Signal(syscall.SIGUSR2); err != nil {
			t.Fatal(err)
		}
		if code := exitCode(t, cmd); code != 128+int(syscall.SIGUSR2) {
			t.Errorf("exit %d, want %d", code, 128+int(syscall.SIGUSR2))
		}
	})
}

// startExec starts `dbos-cloud exec -- ARGS` in dir and waits for the child to
// write its pid to dir/pid. Its output is scanned for leaks when the test ends.
func startExec(t *testing.T, leaks *leakscan.Set, env []string, dir, cli string,
	args ...string) (*exec.Cmd, int) {
	t.Helper()
	cmd := exec.Command(cli, append([]string{"exec", "--"}, args...)...)
	cmd.Dir, cmd.Env = dir, env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		leaks.Check(t, "output of dbos-cloud exec", out.String(), false)
		if t.Failed() {
			t.Logf("dbos-cloud exec output:\n%s", out.String())
		}
	})

	var pid int
	waitFor(t, "the child's pid", func() bool {
		data, err := os.ReadFile(filepath.Join(dir, "pid"))
		if err != nil || !bytes.HasSuffix(data, []byte("\n")) {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(data)))
		return err == nil
	})
	return cmd, pid
}

// childToken returns DBOS_TOKEN from the child's environment, after checking the
// rest of what exec promises there.
func childToken(t *testing.T, pid int) string {
	t.Helper()
	vars := map[string]string{}
	for _, kv := range strings.Split(procFile(t, pid, "environ"), "\x00") {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	if !strings.HasPrefix(vars["DBOS_TOKEN"], "eyJ") || vars["DBOS_ACCOUNT"] != "default" ||
		!strings.HasPrefix(vars["DBOS_DOMAIN"], "http://127.0.0.1:") {
		t.Fatalf("child environment: DBOS_TOKEN set=%v DBOS_ACCOUNT=%q DBOS_DOMAIN=%q",
			vars["DBOS_TOKEN"] != "", vars["DBOS_ACCOUNT"], vars["DBOS_DOMAIN"])
	}
	if _, ok := vars["DBOS_REFRESH_TOKEN"]; ok {
		t.Error("DBOS_REFRESH_TOKEN reached the child")
	}
	return vars["DBOS_TOKEN"]
}

func procFile(t *testing.T, pid int, name string) string {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// waitFor polls cond; the bound only keeps a broken build from hanging the suite.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("dbos-cloud exec did not exit")
	}
	return cmd.ProcessState.ExitCode()
}

func runCmd(env []string, stdin, prog string, args ...string) ([]byte, error) {
	cmd := exec.Command(prog, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	return cmd.CombinedOutput()
}

// envWithoutDBOS is this process's environment without the developer's DBOS_*
// settings and XDG directories, which the daemon's Env replaces.
func envWithoutDBOS() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DBOS_") && !strings.HasPrefix(kv, "XDG_") {
			out = append(out, kv)
		}
	}
	return out
}
