// Command benchreport measures and tabulates for scripts/bench-report.sh. Each
// subcommand prints Markdown table rows (measurement | subject | baseline | ratio),
// each figure a median with its min and max over several rounds, the ratio computed
// per round against a baseline measured in the same round:
//
//	benchreport gobench FILE                  go test -bench output: daemon vs static
//	benchreport exec -rounds R -n N L1 CMD1 L2 CMD2 ...   exec time of CMD1 vs the others
//	benchreport exec -difference ... L1 CMD1 L2 CMD2 L3 CMD3   and CMD1 − CMD2 vs CMD3
//	benchreport storm -rounds R -waiters W -emulator URL -account A
//	benchreport rss -pid P -label L -target MiB
//	benchreport fill -accounts N              store N accounts in the daemon
//	benchreport wait                          wait until the daemon answers
//
// The daemon is reached at $DBOS_CREDD_SOCKET. It measures; it starts nothing
// long-lived.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchreport gobench|exec|storm|rss|fill|wait ...")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	var err error
	switch os.Args[1] {
	case "gobench":
		_ = fs.Parse(os.Args[2:])
		err = goBench(fs.Arg(0))
	case "exec":
		rounds := fs.Int("rounds", 5, "rounds")
		n := fs.Int("n", 10, "execs per command per round")
		diff := fs.Bool("difference", false,
			"with three commands A B C, also report A minus B against C")
		_ = fs.Parse(os.Args[2:])
		err = execRows(ctx, *rounds, *n, *diff, fs.Args())
	case "storm":
		rounds := fs.Int("rounds", 5, "rounds")
		waiters := fs.Int("waiters", 1000, "concurrent callers")
		emu := fs.String("emulator", "", "emulator base URL (test API on)")
		account := fs.String("account", "default", "account")
		_ = fs.Parse(os.Args[2:])
		err = storm(ctx, *rounds, *waiters, *emu, *account)
	case "rss":
		pid := fs.Int("pid", 0, "daemon pid")
		label := fs.String("label", "daemon RSS", "row label")
		target := fs.Float64("target", 0, "target MiB (the baseline)")
		_ = fs.Parse(os.Args[2:])
		err = rssRow(*pid, *label, *target)
	case "fill":
		n := fs.Int("accounts", 1000, "accounts to store")
		_ = fs.Parse(os.Args[2:])
		err = fill(ctx, *n)
	case "wait":
		_ = fs.Parse(os.Args[2:])
		err = waitDaemon(ctx)
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}
