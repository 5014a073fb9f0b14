package emulatortest_test

import (
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
	"github.com/dbos-go/dbos-cloud/internal/testbin"
)

func TestHarness(t *testing.T) {
	dir := t.TempDir()
	e := emulatortest.Start(t, "--data="+dir)
	if !strings.HasPrefix(e.URL(), "http://127.0.0.1:") || strings.HasSuffix(e.URL(), "/") ||
		e.Issuer() != e.URL()+"/" {
		t.Fatalf("URL %q issuer %q", e.URL(), e.Issuer())
	}

	access, refresh := e.Login(t, "harness@example.com", "offline_access")
	if access == "" || refresh == "" {
		t.Fatal("Login returned no tokens")
	}
	e.Register(t, access, "harness", "")
	st, body := e.API(t, http.MethodGet, "/v1alpha1/user/profile", access, nil)
	if st != http.StatusOK || !strings.Contains(string(body), `"Organization":"harness"`) {
		t.Fatalf("profile: %d %s", st, body)
	}

	d := e.StartDevice(t, "sub")
	e.Deny(t, d.UserCode)
	if st, _ := e.PollToken(t, d.DeviceCode); st != http.StatusForbidden {
		t.Fatalf("denied poll: %d", st)
	}

	e.Fault(t, "/v1alpha1/user/profile", http.StatusBadGateway, 0, 1)
	if st, _ := e.API(t, http.MethodGet, "/v1alpha1/user/profile", access, nil); st != http.StatusBadGateway {
		t.Fatalf("fault: %d", st)
	}
	e.ClearFaults(t)

	before := e.Stats(t)
	if before.TokenGrants.DeviceCode != 1 || before.Requests == 0 {
		t.Fatalf("stats %+v", before)
	}

	url := e.URL()
	e.Restart(t)
	if e.URL() != url {
		t.Fatalf("restart moved the emulator from %s to %s", url, e.URL())
	}
	e.Advance(t, 25*time.Hour)
	if st, _ := e.API(t, http.MethodGet, "/v1alpha1/user/profile", access, nil); st != http.StatusUnauthorized {
		t.Fatalf("token after 25h: %d", st)
	}
	if after := e.Stats(t); after.Requests >= before.Requests {
		t.Fatalf("counters should restart with the process: %+v", after)
	}

	e.Stop(t)
	logs := e.Logs()
	if !strings.Contains(logs, "development tool, not a service") || !strings.Contains(logs, "shutting down") {
		t.Fatalf("logs:\n%s", logs)
	}
	if strings.Contains(logs, access) || strings.Contains(logs, refresh) {
		t.Fatal("a token appears in the emulator's log")
	}
}

func TestApproveAsIdentity(t *testing.T) {
	e := emulatortest.Start(t, "--approve-as", "ci-bot")
	access, _ := e.Login(t, "ignored", "sub") // --approve-as decides the identity
	e.Register(t, access, "ci_bot", "")
	e.Stop(t) // every line is in once the process is gone
	if !strings.Contains(e.Logs(), "identity=ci-bot") {
		t.Fatalf("approve-as not logged:\n%s", e.Logs())
	}
}

func TestHelpSaysDevelopmentTool(t *testing.T) {
	out, err := exec.Command(testbin.Path(t, "cmd/dbos-cloud-emulator"), "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("--help: %v\n%s", err, out)
	}
	for _, want := range []string{"DEVELOPMENT TOOL, NOT A SERVICE", "trust-issuer", "device-interval"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("--help lacks %q:\n%s", want, out)
		}
	}
}
