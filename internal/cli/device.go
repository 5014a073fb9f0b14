package cli

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"sync"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/oauth"
)

// Scopes of a device login: the official CLI asks for "sub", or "offline_access"
// when it wants a refresh token.
const (
	scopeAccess  = "sub"
	scopeRefresh = "offline_access"
)

// deviceLogin runs the device flow (RFC 8628): it shows the URL and user code on
// stderr, opens a browser when it can, waits with the time left shown, and returns
// the tokens. Ctrl-C cancels through ctx.
func (e *env) deviceLogin(ctx context.Context, oc *oauth.Client, scope string, noBrowser bool) (*oauth.Token, error) {
	da, err := oc.StartDevice(ctx, scope)
	if err != nil {
		return nil, fmt.Errorf("start login: %w", err)
	}

	link := da.VerificationURIComplete
	if link == "" {
		link = da.VerificationURI
	}
	e.info("Please authenticate with DBOS Cloud!")
	e.info("Login URL: %s", link)
	e.info("User code: %s (check that the page shows this code)", da.UserCode)
	if da.VerificationURIComplete != "" && da.VerificationURI != "" {
		e.info("Without the link: open %s and enter the code.", da.VerificationURI)
	}
	if !noBrowser && e.hasDisplay() {
		e.log.Debug("opening browser")
		_ = e.deps.OpenBrowser(link)
	}

	tok, err := e.waitForApproval(ctx, oc, da)
	switch {
	case errors.Is(err, oauth.ErrAccessDenied):
		return nil, fmt.Errorf("login denied in the browser: %w", err)
	case errors.Is(err, oauth.ErrExpiredToken):
		return nil, fmt.Errorf("the login code expired before it was approved; run the command again: %w", err)
	case err != nil:
		return nil, fmt.Errorf("wait for login: %w", err)
	}
	return tok, nil
}

// waitForApproval polls while showing the time left: one updating line on a
// terminal, a plain line every 30 seconds otherwise.
func (e *env) waitForApproval(ctx context.Context, oc *oauth.Client, da *oauth.DeviceAuth) (*oauth.Token, error) {
	if !e.deps.IsTerminal(e.deps.Stderr) {
		var last time.Time
		return oc.PollDevice(ctx, da, func(remaining, _ time.Duration) {
			if now := e.deps.Now(); now.Sub(last) >= 30*time.Second {
				last = now
				e.info("Waiting for login... (%s left)", remaining.Round(time.Second))
			}
		})
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.tickWaitLine(da.Expiry, stop)
	}()
	tok, err := oc.PollDevice(ctx, da, nil)
	close(stop)
	wg.Wait()
	return tok, err
}

// tickWaitLine rewrites the wait line every second until stop is closed, then
// clears it.
func (e *env) tickWaitLine(expiry time.Time, stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		left := max(expiry.Sub(e.deps.Now()), 0).Round(time.Second)
		fmt.Fprintf(e.stderr, "\r\x1b[K%s", e.out.paint(colorDim,
			fmt.Sprintf("Waiting for login... %s left (Ctrl-C to cancel)", left)))
		select {
		case <-stop:
			fmt.Fprint(e.stderr, "\r\x1b[K")
			return
		case <-t.C:
		}
	}
}

// hasDisplay reports whether a browser can be opened: always on macOS and Windows,
// with DISPLAY or WAYLAND_DISPLAY elsewhere.
func (e *env) hasDisplay() bool {
	switch runtime.GOOS {
	case "darwin", "windows":
		return true
	}
	return e.getenv("DISPLAY") != "" || e.getenv("WAYLAND_DISPLAY") != ""
}

// openBrowser is the default Deps.OpenBrowser. It starts the opener and does not
// wait for it; the URL is a plain argument, never passed through a shell.
func openBrowser(url string) error {
	cmd := exec.Command("xdg-open", url)
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}
