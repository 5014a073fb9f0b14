package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// CredentialsPath is where the official CLI keeps its login, relative to the
// working directory (CONTRACT.md §2).
const CredentialsPath = ".dbos/credentials"

// maxCredentialsFile bounds the file read by credentials import.
const maxCredentialsFile = 1 << 20

// officialCredentials is the official CLI's credentials file. The Python SDK's
// snake_case keys are accepted too.
type officialCredentials struct {
	Token        secret.Token
	RefreshToken secret.Token
	UserName     string
	Organization string
}

// credentialsWire is the file's JSON. Keys are matched exactly (encoding/json would
// otherwise also accept other casings); order does not matter.
type credentialsWire struct {
	Token         *string `json:"token"`
	RefreshToken  *string `json:"refreshToken"`
	RefreshTokenS *string `json:"refresh_token"`
	UserName      *string `json:"userName"`
	UserNameS     *string `json:"user_name"`
	Organization  *string `json:"organization"`
}

// errCorrupt marks a file that is not a credentials file.
var errCorrupt = errors.New("not a DBOS credentials file")

// parseCredentials decodes the official CLI's file. As the official CLI does, CR and
// LF are stripped from the tokens. Errors never quote the content.
func parseCredentials(data []byte) (officialCredentials, error) {
	var w credentialsWire
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&w); err != nil {
		return officialCredentials{}, fmt.Errorf("%w: %s", errCorrupt, jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return officialCredentials{}, fmt.Errorf("%w: data after the JSON object", errCorrupt)
	}

	c := officialCredentials{
		Token:        secret.New(stripCRLF(deref(w.Token))),
		RefreshToken: secret.New(stripCRLF(firstOf(w.RefreshToken, w.RefreshTokenS))),
		UserName:     firstOf(w.UserName, w.UserNameS),
		Organization: deref(w.Organization),
	}
	if c.Token.IsZero() && c.RefreshToken.IsZero() {
		return c, fmt.Errorf("%w: neither token nor refreshToken is set", errCorrupt)
	}
	for _, t := range []secret.Token{c.Token, c.RefreshToken} {
		if err := checkTokenText(t); !t.IsZero() && err != nil {
			return c, fmt.Errorf("%w: %v", errCorrupt, err)
		}
	}
	return c, nil
}

// jsonProblem describes a decode error without echoing the input.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q is a %s, want a string", typ.Field, typ.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "empty or truncated"
	}
	return "invalid JSON"
}

func stripCRLF(s string) string { return strings.NewReplacer("\r", "", "\n", "").Replace(s) }

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func firstOf(ps ...*string) string {
	for _, p := range ps {
		if p != nil && *p != "" {
			return *p
		}
	}
	return ""
}

// readCredentialsFile reads and parses path, bounded in size.
func readCredentialsFile(path string) (officialCredentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return officialCredentials{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCredentialsFile+1))
	if err != nil {
		return officialCredentials{}, err
	}
	if len(data) > maxCredentialsFile {
		return officialCredentials{}, fmt.Errorf("%w: larger than %d bytes", errCorrupt, maxCredentialsFile)
	}
	return parseCredentials(data)
}

// exportedCredentials is what export writes: the access token only, so that the
// official tools work for its lifetime and no refresh token reaches the disk.
type exportedCredentials struct {
	Token        string `json:"token"`
	UserName     string `json:"userName"`
	Organization string `json:"organization"`
}

// writeCredentialsFile writes dir/.dbos/credentials with mode 0600, atomically: a
// temporary file in the same directory, synced, then renamed over the old one.
func writeCredentialsFile(dir string, c exportedCredentials) (string, error) {
	path := filepath.Join(dir, CredentialsPath)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	data, err := json.Marshal(c)
	if err != nil {
		return "", err
	}

	tmp, err := os.CreateTemp(filepath.Dir(path), ".credentials-*")
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return path, nil
}
