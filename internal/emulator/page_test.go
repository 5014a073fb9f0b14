package emulator_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
)

// chromiumPath finds Chromium; without it the browser tests skip locally and fail in CI.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is required in CI (installed by .ci/run)")
	}
	t.Skip("chromium not installed")
	return ""
}

func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	return bctx
}

// poll is a device-flow client: it polls every interval until the login ends, and
// returns the final status and body.
func poll(e *emulatortest.Emulator, d emulatortest.DeviceAuth) <-chan []byte {
	out := make(chan []byte, 1)
	go func() {
		for range 60 {
			time.Sleep(time.Duration(d.Interval) * time.Second)
			form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
				"device_code": {d.DeviceCode}, "client_id": {emulatortest.ClientID}}
			resp, err := e.Client().PostForm(e.URL()+"/oauth/token", form)
			if err != nil {
				out <- []byte(err.Error())
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(body), "authorization_pending") {
				out <- body
				return
			}
		}
		out <- []byte("gave up")
	}()
	return out
}

func TestApprovalPageInBrowser(t *testing.T) {
	ctx := browser(t)
	e := emulatortest.Start(t)

	t.Run("approve", func(t *testing.T) {
		d := e.StartDevice(t, "offline_access")
		got := poll(e, d)
		err := chromedp.Do(ctx,
			chromedp.Navigate(d.VerificationURIComplete),
			chromedp.WaitVisible(chromedp.CSS("#identity")),
			chromedp.SendKeys(chromedp.CSS("#identity"), "browser-user@example.com"),
			chromedp.Click(chromedp.CSS("#approve")),
			chromedp.WaitVisible(chromedp.CSS("#result")),
		)
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#result")))
		if err != nil || !strings.Contains(text, "approved as browser-user@example.com") {
			t.Fatalf("result %q, %v", text, err)
		}
		body := <-got
		var tok tokenResp
		if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" || tok.RefreshToken == "" {
			t.Fatalf("poller got %s", body)
		}
		if claims := verifyWithJWKS(t, e, tok.AccessToken); claims["sub"] != "emulator|browser-user@example.com" {
			t.Fatalf("sub %v", claims["sub"])
		}
	})

	t.Run("deny", func(t *testing.T) {
		d := e.StartDevice(t, "sub")
		got := poll(e, d)
		err := chromedp.Do(ctx,
			chromedp.Navigate(d.VerificationURI),
			chromedp.WaitVisible(chromedp.CSS("#user_code")),
			chromedp.SendKeys(chromedp.CSS("#user_code"), strings.ToLower(d.UserCode)),
			chromedp.Click(chromedp.CSS("#deny")),
			chromedp.WaitVisible(chromedp.CSS("#result")),
		)
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		if body := <-got; !strings.Contains(string(body), `"access_denied"`) {
			t.Fatalf("poller got %s", body)
		}
	})
}

// TestApprovalPageForm drives the page's form over plain HTTP: CSRF, escaping, and
// the error paths a browser test would be slow to cover.
func TestApprovalPageForm(t *testing.T) {
	e := emulatortest.Start(t)
	d := e.StartDevice(t, "sub")
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}

	resp, err := c.Get(e.URL() + "/activate?user_code=" + url.QueryEscape(`<script>x</script>`))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(page), "<script>") || !strings.Contains(string(page), "no passwords") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("page not escaped or missing notice/CSP:\n%s", page)
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF field")
	}
	csrf := string(m[1])

	post := func(client *http.Client, form url.Values) (int, string) {
		resp, err := client.PostForm(e.URL()+"/activate", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	approve := url.Values{"csrf": {csrf}, "user_code": {d.UserCode}, "identity": {"formuser"},
		"action": {"approve"}}

	if st, _ := post(http.DefaultClient, approve); st != http.StatusForbidden {
		t.Fatalf("post without the CSRF cookie: %d", st)
	}
	forged := url.Values{"csrf": {"forged-token-forged-token-forged-token"}, "user_code": {d.UserCode},
		"identity": {"formuser"}, "action": {"approve"}}
	if st, _ := post(c, forged); st != http.StatusForbidden {
		t.Fatalf("post with a forged CSRF token: %d", st)
	}
	bad := url.Values{"csrf": {csrf}, "user_code": {"ZZZZ-ZZZZ"}, "identity": {"formuser"}}
	if st, body := post(c, bad); st != http.StatusBadRequest || !strings.Contains(body, "No device login") {
		t.Fatalf("unknown code: %d", st)
	}
	noID := url.Values{"csrf": {csrf}, "user_code": {d.UserCode}, "identity": {" "}, "action": {"approve"}}
	if st, _ := post(c, noID); st != http.StatusBadRequest {
		t.Fatalf("blank identity: %d", st)
	}
	if st, body := post(c, approve); st != http.StatusOK || !strings.Contains(body, "approved as formuser") {
		t.Fatalf("approve: %d %s", st, body)
	}
	if st, body := post(c, approve); st != http.StatusBadRequest || !strings.Contains(body, "already") {
		t.Fatalf("second approve: %d", st)
	}
	if st, _ := e.PollToken(t, d.DeviceCode); st != http.StatusOK {
		t.Fatalf("poll after form approval: %d", st)
	}
}
