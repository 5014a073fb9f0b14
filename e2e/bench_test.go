package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/credtest"
	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
	"github.com/dbos-go/dbos-cloud/internal/testbin"
)

// BenchmarkTokenExec compares, side by side in one run, a fresh `dbos-cloud token`
// process against a warm daemon with a Go hello-world process (issue 4: at most
// 3.0x). Each iteration runs both, alternating, and the benchmark reports the median
// wall time of each and their ratio.
func BenchmarkTokenExec(b *testing.B) {
	cli := testbin.Path(b, "cmd/dbos-cloud")
	hello := buildHello(b)
	emu := emulatortest.Start(b, "--approve-as", "alice")
	d := credtest.Start(b, credtest.Options{EmulatorURL: emu.URL()})
	env := append(os.Environ(), d.Env()...)

	access, _ := emu.Login(b, "alice", "sub")
	emu.Register(b, access, "alice", "")
	run(b, env, cli, "login", "--no-browser")
	run(b, env, cli, "token") // warm: the daemon holds a cached token

	var th, tt []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		th = append(th, run(b, env, hello))
		tt = append(tt, run(b, env, cli, "token"))
	}
	b.StopTimer()

	mh, mt := median(th), median(tt)
	b.ReportMetric(float64(mh.Microseconds()), "hello-us")
	b.ReportMetric(float64(mt.Microseconds()), "token-us")
	b.ReportMetric(float64(mt)/float64(mh), "ratio")
}

func run(b *testing.B, env []string, prog string, args ...string) time.Duration {
	cmd := exec.Command(prog, args...)
	cmd.Env = env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	if err != nil {
		b.Fatalf("%s %s: %v\n%s", filepath.Base(prog), strings.Join(args, " "), err, out)
	}
	return elapsed
}

func buildHello(b *testing.B) string {
	dir := b.TempDir()
	src := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module hello\n\ngo 1.26\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(dir, "hello")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build hello: %v\n%s", err, msg)
	}
	return out
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
