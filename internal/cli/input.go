package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// maxTokenLen bounds a token read from stdin or the environment.
const maxTokenLen = 16 << 10

// errNoTerminal: a prompt was needed but stdin or stderr is not a terminal.
var errNoTerminal = errors.New("no terminal to ask on")

// checkTokenText rejects text that cannot be a token: empty, too long, or holding
// anything but printable ASCII without spaces (JWTs, opaque tokens and invite
// secrets all fit). The message never quotes the value.
func checkTokenText(tok secret.Token) error {
	v := tok.Reveal()
	switch {
	case v == "":
		return errors.New("empty token")
	case len(v) > maxTokenLen:
		return fmt.Errorf("token longer than %d bytes", maxTokenLen)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x21 || c > 0x7e {
			return fmt.Errorf("malformed token: byte %d is not printable ASCII", i+1)
		}
	}
	return nil
}

// tokenArg returns the token given as a flag or argument value: "-" reads one line
// from stdin (without echo on a terminal); anything else is the token itself, which
// works as in the official CLI but warns, because argv is visible in the process
// list. what names the value in messages, e.g. "refresh token".
func (e *env) tokenArg(value, what string) (secret.Token, error) {
	if value != "-" {
		e.warn("a %s on the command line is visible to other users in the process list "+
			"and stays in shell history; pass - and give it on stdin instead", what)
		tok := secret.New(value)
		if err := checkTokenText(tok); err != nil {
			return secret.Token{}, badInputf("%s: %v", what, err)
		}
		return tok, nil
	}

	tok, err := e.readSecretLine(what)
	if err != nil {
		return secret.Token{}, err
	}
	if err := checkTokenText(tok); err != nil {
		return secret.Token{}, badInputf("%s on stdin: %v", what, err)
	}
	return tok, nil
}

// readSecretLine reads one line from stdin. On a terminal it prompts on stderr and
// turns echo off. Surrounding whitespace and the line end (LF or CRLF) are dropped.
func (e *env) readSecretLine(what string) (secret.Token, error) {
	if f, ok := e.deps.Stdin.(*os.File); ok && e.deps.IsTerminal(f) {
		fmt.Fprintf(e.stderr, "Paste the %s: ", what)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return secret.Token{}, fmt.Errorf("read %s from terminal: %w", what, err)
		}
		return secret.New(strings.TrimSpace(string(b))), nil
	}

	b, err := io.ReadAll(io.LimitReader(e.deps.Stdin, maxTokenLen+2))
	if err != nil {
		return secret.Token{}, fmt.Errorf("read %s from stdin: %w", what, err)
	}
	s := strings.TrimSpace(string(b))
	if strings.ContainsAny(s, "\r\n") {
		return secret.Token{}, badInputf("%s on stdin: more than one line", what)
	}
	return secret.New(s), nil
}

// canPrompt reports whether the user can answer a prompt: stdin and stderr are
// terminals.
func (e *env) canPrompt() bool {
	return e.deps.IsTerminal(e.deps.Stdin) && e.deps.IsTerminal(e.deps.Stderr)
}

// prompt asks for a required value on the terminal; without one it fails with a
// bad-input error naming the flag that gives the value instead.
func (e *env) prompt(label, what, flag string) (string, error) {
	if !e.canPrompt() {
		return "", badInputf("%s is needed but there is %v; give --%s", what, errNoTerminal, flag)
	}
	if e.stdinReader == nil {
		e.stdinReader = bufio.NewReader(e.deps.Stdin)
	}
	for {
		fmt.Fprintf(e.stderr, "%s: ", label)
		line, err := e.stdinReader.ReadString('\n')
		v := strings.TrimSpace(line)
		if v != "" {
			return v, nil
		}
		if err != nil {
			return "", badInputf("%s: no answer (%v)", what, err)
		}
	}
}
