package cli

import (
	"encoding/json"
	"fmt"
	"io"
)

// ANSI colours used on stderr.
const (
	colorRed    = "31"
	colorGreen  = "32"
	colorYellow = "33"
	colorDim    = "2"
)

// output is the policy for human text: colour only on a terminal, never with
// NO_COLOR or TERM=dumb. Data goes to stdout, progress and errors to stderr.
type output struct {
	color bool
}

func newOutput(getenv func(string) string, stderrTTY bool) output {
	return output{color: colorAllowed(getenv, stderrTTY)}
}

// colorAllowed follows https://no-color.org: any non-empty NO_COLOR disables colour.
func colorAllowed(getenv func(string) string, tty bool) bool {
	return tty && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

// paint wraps s in an ANSI colour when colour is on.
func (o output) paint(color, s string) string {
	if !o.color {
		return s
	}
	return "\x1b[" + color + "m" + s + "\x1b[0m"
}

// info prints a progress line on stderr.
func (e *env) info(format string, args ...any) {
	fmt.Fprintf(e.stderr, format+"\n", args...)
}

// success prints a result line on stderr, green on a terminal.
func (e *env) success(format string, args ...any) {
	fmt.Fprintln(e.stderr, e.out.paint(colorGreen, fmt.Sprintf(format, args...)))
}

// warn prints a warning line on stderr.
func (e *env) warn(format string, args ...any) {
	fmt.Fprintf(e.stderr, "%s %s\n", e.out.paint(colorRed, "warning:"), fmt.Sprintf(format, args...))
}

// printJSON writes v as one line of compact JSON to w. Field order is the struct's,
// so the output is stable.
func printJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// stdoutOutput is the colour policy for text on stdout (doctor's check lines),
// decided by stdout's own terminal, since stdout and stderr may go different ways.
func (e *env) stdoutOutput() output {
	return newOutput(e.getenv, e.deps.IsTerminal(e.deps.Stdout))
}
