package gitcred

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dbos-go/dbos-cloud/pkg/ipc/ipcwire"
)

var _ HostBackend = Daemon{}

// fakeDaemon answers the two routes the helper uses over a real socket, as a
// current daemon (picks by host) or one from before api_host (refuses the field,
// as encoding/json's DisallowUnknownFields did).
type fakeDaemon struct {
	old bool

	mu   sync.Mutex
	seen []string // method, path and body of each request
}

func (f *fakeDaemon) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body bytes.Buffer
	_, _ = body.ReadFrom(r.Body)
	f.mu.Lock()
	f.seen = append(f.seen, r.Method+" "+r.URL.Path+" "+body.String())
	f.mu.Unlock()

	var req ipcwire.TokenRequest
	_ = json.Unmarshal(body.Bytes(), &req)
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch {
	case r.URL.Path == ipcwire.PathAccounts:
		reply(200, ipcwire.AccountList{Default: "work", Accounts: []ipcwire.Account{
			{Name: "work", State: ipcwire.StateOK, Endpoints: ipcwire.Endpoints{APIURL: "https://cloud.dbos.dev"}}}})
	case req.APIHost != "" && f.old:
		reply(400, ipcwire.ErrorBody{Code: ipcwire.CodeBadRequest,
			Message: `request body has an unknown field "api_host"`})
	case req.APIHost != "" && req.APIHost != "cloud.dbos.dev":
		reply(404, ipcwire.ErrorBody{Code: ipcwire.CodeAccountNotFound, Message: "no account"})
	default:
		reply(200, ipcwire.TokenResponse{Account: "work", AccessToken: tok, APIURL: "https://cloud.dbos.dev"})
	}
}

// requests returns what the daemon has seen so far.
func (f *fakeDaemon) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

func (f *fakeDaemon) start(t *testing.T) *ipcwire.Client {
	dir, err := os.MkdirTemp("", "g")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: f}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ipcwire.NewClient(ipcwire.ClientOptions{Path: sock})
}

// One request against a current daemon; the listing and a fetch by name against
// one that predates api_host. An unknown host gets no answer either way.
func TestDaemonOneRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		old      bool
		host     string
		requests int
		answered bool
	}{
		{false, "cloud.dbos.dev", 1, true},
		{false, "github.com", 1, false},
		{true, "cloud.dbos.dev", 3, true},
		{true, "github.com", 2, false},
	} {
		f := &fakeDaemon{old: tc.old}
		b := Daemon{Client: f.start(t)}
		var out bytes.Buffer
		in := "protocol=https\nhost=" + tc.host + "\nusername=bob\n\n"
		if err := Serve(context.Background(), "get", strings.NewReader(in), &out, b); err != nil {
			t.Fatalf("old=%v %s: %v", tc.old, tc.host, err)
		}
		seen := f.requests()
		if len(seen) != tc.requests {
			t.Errorf("old=%v %s: %d requests, want %d: %q", tc.old, tc.host, len(seen), tc.requests, seen)
		}
		if got := strings.Contains(out.String(), "password="+tok+"\n"); got != tc.answered {
			t.Errorf("old=%v %s: answer %q", tc.old, tc.host, out.String())
		}
		if tc.answered && !strings.Contains(out.String(), "username=work\n") {
			t.Errorf("old=%v: the account name is not the user name: %q", tc.old, out.String())
		}
		if first := seen[0]; !strings.Contains(first, `"api_host":"`+tc.host+`"`) ||
			!strings.Contains(first, `"protocol":"https"`) || !strings.Contains(first, `"user":"bob"`) {
			t.Errorf("first request %q does not name the host", first)
		}
	}
}
