package oauth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

const deviceOK = `{"device_code":"dev-code-secret","user_code":"ABCD-EFGH",
	"verification_uri":"https://login.example/activate",
	"verification_uri_complete":"https://login.example/activate?user_code=ABCD-EFGH",
	"expires_in":900,"interval":7}`

const tokenOK = `{"access_token":"acc-token-1","refresh_token":"ref-token-1",
	"token_type":"Bearer","expires_in":86400,"scope":"offline_access"}`

func TestStartDevice(t *testing.T) {
	c, _, ds, _ := serve(t, nil, []reply{{200, deviceOK}}, nil)
	clk := newFakeClock()
	clk.install(c)

	da, err := c.StartDevice(context.Background(), "offline_access")
	if err != nil {
		t.Fatal(err)
	}
	if da.DeviceCode.Reveal() != "dev-code-secret" || da.UserCode != "ABCD-EFGH" {
		t.Errorf("codes: %q %q", da.DeviceCode.Reveal(), da.UserCode)
	}
	if da.Interval != 7*time.Second || da.ExpiresIn != 900*time.Second {
		t.Errorf("timing: interval %v expires %v", da.Interval, da.ExpiresIn)
	}
	if want := clk.now().Add(900 * time.Second); !da.Expiry.Equal(want) {
		t.Errorf("expiry %v, want %v", da.Expiry, want)
	}

	f := ds.forms[0]
	if f.Get("client_id") != "client-1" || f.Get("audience") != "dbos-cloud-api" ||
		f.Get("scope") != "offline_access" {
		t.Errorf("device request form: %v", f)
	}
	if ds.types[0] != "application/x-www-form-urlencoded" {
		t.Errorf("content type %q", ds.types[0])
	}
}

func TestStartDeviceReplies(t *testing.T) {
	tests := []struct {
		name     string
		rep      reply
		interval time.Duration
		wantErr  error // nil: success expected
		anyErr   bool
	}{
		{"no interval defaults to 5s", reply{200, `{"device_code":"d","user_code":"u",
			"verification_uri":"https://x/a","expires_in":600}`}, 5 * time.Second, nil, false},
		{"string numbers", reply{200, `{"device_code":"d","user_code":"u",
			"verification_uri":"https://x/a","expires_in":"600","interval":"2"}`},
			2 * time.Second, nil, false},
		{"no device code", reply{200, `{"user_code":"u","verification_uri":"https://x",
			"expires_in":600}`}, 0, nil, true},
		{"no expiry", reply{200, `{"device_code":"d","user_code":"u",
			"verification_uri":"https://x"}`}, 0, nil, true},
		{"not json", reply{200, `<html>`}, 0, nil, true},
		{"server error", reply{503, `oops`}, 0, ErrUnavailable, true},
		{"bad client", reply{401, `{"error":"unauthorized_client"}`}, 0, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, _, _ := serve(t, nil, []reply{tt.rep}, nil)
			da, err := c.StartDevice(context.Background(), "sub")
			if tt.anyErr {
				if err == nil {
					t.Fatal("no error")
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if da.Interval != tt.interval {
				t.Errorf("interval %v, want %v", da.Interval, tt.interval)
			}
		})
	}
}

// startPoll returns a device login started against a token endpoint following replies.
func startPoll(t *testing.T, replies []reply) (*Client, *DeviceAuth, *script, *fakeClock) {
	t.Helper()
	c, ts, _, _ := serve(t, replies, []reply{{200, deviceOK}}, nil)
	clk := newFakeClock()
	clk.install(c)
	da, err := c.StartDevice(context.Background(), "sub")
	if err != nil {
		t.Fatal(err)
	}
	return c, da, ts, clk
}

func TestPollDeviceApproved(t *testing.T) {
	pending := reply{403, `{"error":"authorization_pending","error_description":"wait"}`}
	c, da, ts, clk := startPoll(t, []reply{pending, pending, {200, tokenOK}})

	var seen []time.Duration
	tok, err := c.PollDevice(context.Background(), da, func(rem, iv time.Duration) {
		seen = append(seen, rem)
	})
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken.Reveal() != "acc-token-1" || tok.RefreshToken.Reveal() != "ref-token-1" {
		t.Error("tokens not decoded")
	}
	if !tok.Expiry.Equal(clk.now().Add(86400 * time.Second)) {
		t.Errorf("expiry %v", tok.Expiry)
	}
	if ts.calls() != 3 {
		t.Errorf("%d polls, want 3", ts.calls())
	}
	want := []time.Duration{900 * time.Second, 893 * time.Second, 886 * time.Second}
	if len(seen) != 3 || seen[0] != want[0] || seen[1] != want[1] || seen[2] != want[2] {
		t.Errorf("observer saw %v, want %v", seen, want)
	}

	f := ts.forms[0]
	if f.Get("grant_type") != deviceGrantType || f.Get("device_code") != "dev-code-secret" ||
		f.Get("client_id") != "client-1" {
		t.Errorf("poll form: %v", f)
	}
}

func TestPollDeviceSlowDown(t *testing.T) {
	pending := reply{403, `{"error":"authorization_pending"}`}
	slow := reply{429, `{"error":"slow_down"}`}
	bare429 := reply{429, ``}
	slow400 := reply{400, `{"error":"slow_down"}`}
	c, da, _, clk := startPoll(t, []reply{pending, slow, pending, bare429, slow400,
		{200, tokenOK}})

	if _, err := c.PollDevice(context.Background(), da, nil); err != nil {
		t.Fatal(err)
	}
	s := time.Second
	want := []time.Duration{7 * s, 7 * s, 12 * s, 12 * s, 17 * s, 22 * s}
	if len(clk.waits) != len(want) {
		t.Fatalf("waits %v, want %v", clk.waits, want)
	}
	for i := range want {
		if clk.waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", clk.waits, want)
		}
	}
}

func TestPollDeviceFailures(t *testing.T) {
	tests := []struct {
		name    string
		replies []reply
		want    error
	}{
		{"denied 403", []reply{{403, `{"error":"access_denied"}`}}, ErrAccessDenied},
		{"denied 400", []reply{{400, `{"error":"access_denied"}`}}, ErrAccessDenied},
		{"expired", []reply{{403, `{"error":"expired_token"}`}}, ErrExpiredToken},
		{"invalid grant", []reply{{400, `{"error":"invalid_grant"}`}}, ErrInvalidGrant},
		{"local deadline", []reply{{403, `{"error":"authorization_pending"}`}},
			ErrExpiredToken},
		{"server down until deadline", []reply{{502, `bad gateway`}}, ErrExpiredToken},
		{"server_error until deadline", []reply{{500, `{"error":"server_error"}`}},
			ErrExpiredToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, da, ts, _ := startPoll(t, tt.replies)
			_, err := c.PollDevice(context.Background(), da, nil)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			assertNoLeak(t, err.Error(), "dev-code-secret")
			if tt.want == ErrExpiredToken && ts.calls() > 1 {
				// 900 s at 7 s per poll: the last wait is cut to the time left.
				if n := ts.calls(); n != 129 {
					t.Errorf("%d polls before the deadline, want 129", n)
				}
			}
		})
	}
}

func TestPollDeviceOtherErrorStops(t *testing.T) {
	c, da, ts, _ := startPoll(t, []reply{{400, `{"error":"invalid_client",
		"error_description":"no such client"}`}})
	_, err := c.PollDevice(context.Background(), da, nil)
	var oe *Error
	if !errors.As(err, &oe) || oe.Code != "invalid_client" || oe.Status != 400 {
		t.Fatalf("error %v, want *Error invalid_client", err)
	}
	if ts.calls() != 1 {
		t.Errorf("%d polls, want 1", ts.calls())
	}
}

func TestPollDeviceCancel(t *testing.T) {
	pending := reply{403, `{"error":"authorization_pending"}`}
	c, da, ts, clk := startPoll(t, []reply{pending})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk.onSleep = func(n int) {
		if n == 3 {
			cancel()
		}
	}

	_, err := c.PollDevice(ctx, da, nil)
	if !errors.Is(err, context.Canceled) || err != ctx.Err() {
		t.Fatalf("error %v, want ctx.Err()", err)
	}
	if ts.calls() != 2 {
		t.Errorf("%d polls, want 2", ts.calls())
	}
}

// TestPollDeviceCancelRealClock checks that the real wait returns at once on cancel.
func TestPollDeviceCancelRealClock(t *testing.T) {
	c := &Client{ClientID: "x"}
	da := &DeviceAuth{DeviceCode: secret.New("d"), Interval: time.Hour,
		Expiry: time.Now().Add(2 * time.Hour)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.PollDevice(ctx, da, nil)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v", err)
	}
}

func TestPollDeviceMissingInterval(t *testing.T) {
	c, da, _, clk := startPoll(t, []reply{{403, `{"error":"authorization_pending"}`},
		{200, tokenOK}})
	da.Interval = 0
	if _, err := c.PollDevice(context.Background(), da, nil); err != nil {
		t.Fatal(err)
	}
	if clk.waits[0] != 5*time.Second || clk.waits[1] != 5*time.Second {
		t.Errorf("waits %v, want 5s each", clk.waits)
	}
}
