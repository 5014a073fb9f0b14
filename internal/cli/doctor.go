package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/pkg/ipc"
)

// Outcomes of a doctor check.
const (
	checkOK   = "ok"
	checkWarn = "warn"
	checkFail = "fail"
)

// Limits doctor judges against.
const (
	// maxClockSkew: beyond it, token expiry checks on either side go wrong.
	maxClockSkew = 30 * time.Second
	// refreshIdleLimit is the login service's inactivity limit for refresh tokens;
	// refreshIdleWarn leaves time to act.
	refreshIdleLimit = 30 * 24 * time.Hour
	refreshIdleWarn  = 25 * 24 * time.Hour
)

type doctorOptions struct {
	JSON bool
}

// check is one line of the report.
type check struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// doctorJSON is the stable shape of `doctor --json`.
type doctorJSON struct {
	OK     bool    `json:"ok"`
	Checks []check `json:"checks"`
}

func newDoctorCmd(e *env, runF func(context.Context, *doctorOptions) error) *cli.Command {
	if runF == nil {
		runF = e.runDoctor
	}
	return &cli.Command{
		Name: "doctor",
		Usage: "check the config, the daemon, its socket and keyring, the clock and every " +
			"account; exit 1 if anything is wrong",
		Flags: []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("doctor takes no arguments")
			}
			return runF(c.Context, &doctorOptions{JSON: wantJSON(c)})
		},
	}
}

func (e *env) runDoctor(ctx context.Context, o *doctorOptions) error {
	var checks []check
	add := func(name, status, format string, args ...any) {
		checks = append(checks, check{name, status, fmt.Sprintf(format, args...)})
	}
	e.checkConfig(add)
	e.checkEnv(add)

	plain, _, err := e.plainDaemon()
	if err != nil {
		add("daemon", checkFail, "%s", message(err))
	} else {
		defer plain.Close()
		e.doctorDaemon(ctx, plain, add)
	}

	failed := 0
	for _, c := range checks {
		if c.Status == checkFail {
			failed++
		}
	}
	if err := e.printChecks(checks, failed == 0, o.JSON); err != nil {
		return err
	}
	if failed > 0 {
		return &Error{Code: ExitFailure, Err: fmt.Errorf("doctor: %d check(s) failed", failed)}
	}
	return nil
}

type addFunc func(name, status, format string, args ...any)

func (e *env) checkConfig(add addFunc) {
	_, path, err := e.config()
	switch {
	case err != nil:
		add("config", checkFail, "%s", message(err))
	case fileExists(path):
		add("config", checkOK, "%s (valid)", path)
	default:
		add("config", checkOK, "%s (absent; defaults apply)", path)
	}
}

// checkEnv names the overriding variables in effect, never their values.
func (e *env) checkEnv(add addFunc) {
	var set []string
	for _, name := range envOverrides {
		if e.getenv(name) != "" {
			set = append(set, name)
		}
	}
	if len(set) == 0 {
		add("environment", checkOK, "no overrides")
		return
	}
	add("environment", checkOK, "overrides in effect: %s", strings.Join(set, ", "))
}

// doctorDaemon checks the socket on disk, then asks the daemon; the checks that
// need the daemon are left out when it does not answer.
func (e *env) doctorDaemon(ctx context.Context, d *ipc.Client, add addFunc) {
	sock, err := d.Path()
	if err != nil {
		add("socket", checkFail, "%s", message(err))
		return
	}
	checkSocketFiles(sock, add)

	st, err := d.Status(ctx)
	if err != nil {
		add("daemon", checkFail, "%s", message(err))
		return
	}
	ver := checkOK
	note := ""
	if st.Version != e.deps.Version {
		ver, note = checkWarn, fmt.Sprintf(" (dbos-cloud is %s)", e.deps.Version)
	}
	add("daemon", ver, "dbos-credd %s%s, pid %d, up %s, %d requests, %d failures", st.Version, note,
		st.PID, (time.Duration(st.UptimeSeconds) * time.Second).String(), st.Counters.Requests,
		st.Counters.Failures)
	checkPeer(st.PID, add)

	ks, err := d.KeyringCheck(ctx)
	switch {
	case err != nil:
		add("keyring", checkFail, "%s", message(err))
	case ks.NeedsPassword:
		add("keyring", checkFail, "%s is locked; run: dbos-cloud keyring unlock", ks.Backend)
	case !ks.Writable:
		add("keyring", checkFail, "%s is not writable: %s", ks.Backend, dash(ks.Error))
	default:
		add("keyring", checkOK, "%s, writable", ks.Backend)
	}

	e.checkClock(ctx, st.Accounts, add)
	e.checkAccounts(st, add)
}

// checkSocketFiles checks the socket and its directory: both owned by this user,
// the directory 0700 and the socket 0600 at most.
func checkSocketFiles(sock string, add addFunc) {
	dir := filepath.Dir(sock)
	if msg := ownAndMode(dir, 0o700, true); msg != "" {
		add("socket dir", checkFail, "%s", msg)
	} else {
		add("socket dir", checkOK, "%s: yours, mode 0700", dir)
	}
	if msg := ownAndMode(sock, 0o600, false); msg != "" {
		add("socket", checkFail, "%s", msg)
	} else {
		add("socket", checkOK, "%s: yours, a socket, no access beyond 0600", sock)
	}
}

// ownAndMode returns "" when path is of the right kind, owned by the effective
// user and has no permission bits outside allowed; else what is wrong and how to
// fix it.
func ownAndMode(path string, allowed fs.FileMode, dir bool) string {
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Sprintf("%s: %v (is dbos-credd running?)", path, errors.Unwrap(err))
	}
	switch {
	case dir && !fi.IsDir():
		return path + " is not a directory"
	case !dir && fi.Mode()&fs.ModeSocket == 0:
		return path + " is not a socket"
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Sprintf("%s is owned by uid %d, not by you (uid %d)", path, st.Uid, os.Geteuid())
	}
	if extra := fi.Mode().Perm() &^ allowed; extra != 0 {
		return fmt.Sprintf("%s has mode %04o, want %04o; run: chmod %o %s", path, fi.Mode().Perm(),
			allowed, allowed, path)
	}
	return ""
}

// checkPeer reports the peer check: the client refuses a daemon of another user
// (SO_PEERCRED), so an answer means the daemon runs as us; the pid it names is
// checked too where the owner of a process can be read.
func checkPeer(pid int, add addFunc) {
	if uid, ok := processUID(pid); ok && uid != os.Geteuid() {
		add("peer", checkFail, "the daemon names pid %d, which runs as uid %d, not as you", pid, uid)
		return
	}
	add("peer", checkOK, "dbos-credd (pid %d) runs as you (uid %d) and accepted this process",
		pid, os.Geteuid())
}

// checkClock compares the local clock with the Date header of each login
// service's discovery document.
func (e *env) checkClock(ctx context.Context, accts []ipc.Account, add addFunc) {
	var issuers []string
	for _, a := range accts {
		if a.Issuer != "" && !slices.Contains(issuers, a.Issuer) {
			issuers = append(issuers, a.Issuer)
		}
	}
	if len(issuers) == 0 {
		sel, err := e.selection()
		if err == nil {
			if t, err := e.target(sel.Name); err == nil {
				issuers = append(issuers, t.Issuer)
			}
		}
	}
	for _, iss := range issuers {
		skew, err := clockSkew(ctx, e.http, iss, e.deps.Now)
		switch {
		case err != nil:
			add("clock", checkWarn, "could not compare with %s: %v", iss, err)
		case skew > maxClockSkew || skew < -maxClockSkew:
			add("clock", checkWarn, "local clock is %s off %s (more than %s); token expiry checks "+
				"will be wrong", skew.Round(time.Second), iss, maxClockSkew)
		default:
			add("clock", checkOK, "within %s of %s (%+.0fs)", maxClockSkew, iss, skew.Seconds())
		}
	}
}

// clockSkew returns how far the server's clock (its HTTP Date header) is ahead of
// ours, measured against the middle of the request.
func clockSkew(ctx context.Context, hc *http.Client, issuer string, now func() time.Time) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	u := strings.TrimRight(issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}

	start := now()
	resp, err := hc.Do(req)
	end := now()
	if err != nil {
		return 0, err
	}
	_ = resp.Body.Close()
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return 0, fmt.Errorf("no usable Date header: %w", err)
	}
	mid := start.Add(end.Sub(start) / 2)
	// The header has whole seconds; the half second it rounds away is no skew.
	return date.Sub(mid.Truncate(time.Second)), nil
}

// checkAccounts reports each account's state, token expiry and refresh idle age.
func (e *env) checkAccounts(st ipc.Status, add addFunc) {
	if len(st.Accounts) == 0 {
		add("accounts", checkWarn, "none; log in with: dbos-cloud login")
		return
	}
	accts := slices.Clone(st.Accounts)
	slices.SortFunc(accts, func(a, b ipc.Account) int { return cmpString(a.Name, b.Name) })
	for _, a := range accts {
		status, detail := e.accountHealth(a)
		add("account "+a.Name, status, "%s", detail)
	}
}

func (e *env) accountHealth(a ipc.Account) (string, string) {
	who := fmt.Sprintf("%s/%s, %s", dash(a.User), dash(a.Organization), a.Source)
	switch a.State {
	case ipc.StateLoginRequired:
		return checkFail, who + ": login required; run: " + loginCommand(a.Name)
	case ipc.StateNotLoggedIn:
		return checkWarn, who + ": not logged in; run: " + loginCommand(a.Name)
	case ipc.StateUnsaved:
		return checkWarn, who + ": a rotated refresh token is not saved in the keyring yet: " +
			dash(a.LastError)
	case ipc.StateUnreadable:
		return checkFail, who + ": the keyring item cannot be read: " + dash(a.LastError)
	}

	detail := who + ", access token " + e.expiry(a.AccessExpiresAt)
	if a.RefreshLastUsed == nil {
		return checkOK, detail
	}
	idle := e.deps.Now().Sub(*a.RefreshLastUsed)
	days := int(idle.Hours() / 24)
	switch {
	case idle >= refreshIdleLimit:
		return checkFail, fmt.Sprintf("%s, refresh token unused for %d days (the login service "+
			"ends logins after 30); run: %s", detail, days, loginCommand(a.Name))
	case idle >= refreshIdleWarn:
		return checkWarn, fmt.Sprintf("%s, refresh token unused for %d days; it expires after 30 "+
			"idle days unless used (any command that needs a token uses it)", detail, days)
	}
	return checkOK, fmt.Sprintf("%s, refresh token used %d days ago", detail, days)
}

func (e *env) printChecks(checks []check, ok, asJSON bool) error {
	if asJSON {
		return printJSON(e.stdout, doctorJSON{OK: ok, Checks: checks})
	}
	out := e.stdoutOutput()
	colors := map[string]string{checkOK: colorGreen, checkWarn: colorYellow, checkFail: colorRed}
	var b strings.Builder
	for _, c := range checks {
		// Pad before painting, so escape codes do not upset the columns.
		fmt.Fprintf(&b, "%s %-16s %s\n", out.paint(colors[c.Status], fmt.Sprintf("%-4s", c.Status)),
			c.Name, c.Detail)
	}
	_, err := fmt.Fprint(e.stdout, b.String())
	return err
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
