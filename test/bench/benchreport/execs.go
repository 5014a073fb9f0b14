package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// command is one labelled command line (split on spaces: the script passes paths
// without spaces).
type command struct {
	label string
	argv  []string
	means []float64 // ms, one per round
}

// execRows times the first command against each of the others: every round runs the
// commands in turn, one exec each, n times over (interleaved exec by exec, so that
// the machine's noise hits all alike), and keeps each command's mean; the ratio is
// taken per round. With difference and three
// commands A B C, it also reports what A costs beyond B against C: issue 5 compares
// `org list` − `profile` (both one API call) with a bare plugin launch.
func execRows(ctx context.Context, rounds, n int, difference bool, args []string) error {
	if len(args) < 4 || len(args)%2 != 0 {
		return fmt.Errorf("exec wants LABEL CMD pairs, at least two")
	}
	if difference && len(args) != 6 {
		return fmt.Errorf("exec -difference wants three LABEL CMD pairs")
	}
	var cmds []*command
	for i := 0; i < len(args); i += 2 {
		cmds = append(cmds, &command{label: args[i], argv: strings.Fields(args[i+1])})
	}
	for _, c := range cmds { // warm page cache, fail fast
		if _, err := runOnce(ctx, c.argv); err != nil {
			return err
		}
	}
	totals := make([]time.Duration, len(cmds))
	for range rounds {
		clear(totals)
		for range n {
			for i, c := range cmds {
				d, err := runOnce(ctx, c.argv)
				if err != nil {
					return err
				}
				totals[i] += d
			}
		}
		for i, c := range cmds {
			c.means = append(c.means, float64(totals[i].Microseconds())/1e3/float64(n))
		}
	}
	subject := cmds[0]
	for _, base := range cmds[1:] {
		row(subject.label+" vs "+base.label, spreadOf(subject.means).format("ms", 2),
			spreadOf(base.means).format("ms", 2), spreadOf(ratios(subject.means, base.means)))
	}
	if difference {
		extra := differences(subject.means, cmds[1].means)
		row(subject.label+" − "+cmds[1].label+" vs "+cmds[2].label,
			spreadOf(extra).format("ms", 2), spreadOf(cmds[2].means).format("ms", 2),
			spreadOf(ratios(extra, cmds[2].means)))
	}
	return nil
}

// differences returns a[i] − b[i], round by round.
func differences(a, b []float64) []float64 {
	out := make([]float64, 0, len(a))
	for i := range min(len(a), len(b)) {
		out = append(out, a[i]-b[i])
	}
	return out
}

// runOnce runs argv to completion and returns its wall time; a non-zero exit is an
// error carrying its stderr.
func runOnce(ctx context.Context, argv []string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, strings.TrimSpace(stderr.String()))
	}
	return d, nil
}
