package emulator_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
)

func TestPersistenceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	e := emulatortest.Start(t, "--data", dir)
	access, rt := e.Login(t, "keep", "offline_access")
	e.Register(t, access, "keep", "")
	e.Advance(t, 2*time.Hour)
	url1 := e.URL()

	e.Restart(t)
	if e.URL() != url1 {
		t.Fatalf("restart moved from %s to %s", url1, e.URL())
	}
	// Same signing key, same users, same refresh tokens.
	if p := profile(t, e, access); p["Name"] != "keep" {
		t.Fatalf("profile after restart %v", p)
	}
	if st, body := refresh(t, e, rt); st != http.StatusOK {
		t.Fatalf("refresh after restart: %d %s", st, body)
	}
	// The clock offset survived too: 23 more hours expire the access token.
	e.Advance(t, 22*time.Hour+time.Minute)
	st, body := e.API(t, http.MethodGet, "/v1alpha1/user/profile", access, nil)
	wantAPIError(t, st, body, http.StatusUnauthorized)

	if _, err := os.Stat(filepath.Join(dir, "emulator.db-wal")); err != nil {
		t.Errorf("no WAL file next to the database: %v", err)
	}
}

func TestMemoryStateIsFresh(t *testing.T) {
	e := emulatortest.Start(t)
	access := registered(t, e, "gone")
	e.Restart(t)
	st, body := e.API(t, http.MethodGet, "/v1alpha1/user/profile", access, nil)
	wantAPIError(t, st, body, http.StatusUnauthorized) // a new in-memory key
}

func TestTLS(t *testing.T) {
	cert, key := selfSigned(t)
	e := emulatortest.Start(t, "--tls-cert", cert, "--tls-key", key)
	if !strings.HasPrefix(e.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL %s", e.URL())
	}
	access := registered(t, e, "secure")
	if p := profile(t, e, access); p["Name"] != "secure" {
		t.Fatalf("profile %v", p)
	}
	claims := verifyWithJWKS(t, e, access)
	if claims["iss"] != e.URL()+"/" {
		t.Fatalf("iss %v", claims["iss"])
	}

	// A client without the certificate is refused.
	if _, err := http.Get(e.URL() + "/.well-known/jwks.json"); err == nil {
		t.Fatal("plain client trusted a self-signed certificate")
	}
}

// selfSigned writes a certificate for 127.0.0.1 and localhost and its key.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "dbos-cloud-emulator test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	write := func(p, typ string, b []byte) {
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(certFile, "CERTIFICATE", der)
	write(keyFile, "PRIVATE KEY", kder)
	return certFile, keyFile
}

func TestFaults(t *testing.T) {
	e := emulatortest.Start(t)
	_, rt := e.Login(t, "faulty", "offline_access")

	e.Fault(t, "/oauth/token", http.StatusServiceUnavailable, 0, 2)
	for range 2 {
		st, body := refresh(t, e, rt)
		wantOAuthError(t, st, body, http.StatusServiceUnavailable, "temporarily_unavailable")
		wantAPIError(t, st, body, http.StatusServiceUnavailable)
	}
	if st, _ := refresh(t, e, rt); st != http.StatusOK {
		t.Fatalf("after the counted fault: %d", st)
	}

	e.Fault(t, "/v1alpha1/user/profile", http.StatusInternalServerError, 10*time.Millisecond, 0)
	for range 3 {
		st, _ := e.API(t, http.MethodGet, "/v1alpha1/user/profile", "", nil)
		if st != http.StatusInternalServerError {
			t.Fatalf("unlimited fault: %d", st)
		}
	}
	e.ClearFaults(t)
	st, _ := e.API(t, http.MethodGet, "/v1alpha1/user/profile", "", nil)
	if st != http.StatusUnauthorized {
		t.Fatalf("after clearing: %d", st)
	}

	e.Fault(t, "/oauth/token", 0, 20*time.Millisecond, 1) // delay only, then served
	if st, _ := refresh(t, e, rt); st != http.StatusOK {
		t.Fatalf("delayed request: %d", st)
	}

	for _, form := range []url.Values{
		{"path": {"/emulator/stats"}, "status": {"500"}},
		{"path": {"/x"}},
		{"path": {"/x"}, "status": {"99"}},
		{"path": {"relative"}, "status": {"500"}},
		{"path": {"/x"}, "delay": {"soon"}},
	} {
		if st, _ := e.PostForm(t, "/emulator/fault", form); st != http.StatusBadRequest {
			t.Errorf("bad fault %v accepted: %d", form, st)
		}
	}
	if s := e.Stats(t); s.TokenGrants.RefreshToken != 2 || s.TokenGrants.DeviceCode != 1 || s.Requests < 10 {
		t.Fatalf("stats %+v", s)
	}
}

func TestTestAPIOffByDefault(t *testing.T) {
	e := emulatortest.Start(t, "--test-api=false")
	st, _ := e.PostForm(t, "/emulator/clock", url.Values{"advance": {"1h"}})
	if st != http.StatusNotFound {
		t.Fatalf("test API served without --test-api: %d", st)
	}
}

// TestNoSecretsInLogs runs every flow that moves a secret and then looks for each
// secret in the emulator's log.
func TestNoSecretsInLogs(t *testing.T) {
	e := emulatortest.Start(t, "--rotate-refresh-tokens")
	var secrets []string

	d := e.StartDevice(t, "offline_access")
	e.PollToken(t, d.DeviceCode)
	e.Approve(t, d.UserCode, "leaky")
	_, body := e.PollToken(t, d.DeviceCode)
	tok := decode[tokenResp](t, body)
	secrets = append(secrets, d.DeviceCode, d.UserCode, strings.ReplaceAll(d.UserCode, "-", ""),
		tok.AccessToken, tok.RefreshToken)

	e.Register(t, tok.AccessToken, "leaky", "")
	_, body = e.API(t, http.MethodGet, "/v1alpha1/leaky/secret", tok.AccessToken, nil)
	invite := decode[string](t, body)
	other, _ := e.Login(t, "other", "sub")
	e.API(t, http.MethodPut, "/v1alpha1/user", other, map[string]string{"name": "oth", "secret": invite})
	e.API(t, http.MethodPost, "/v1alpha1/leaky/join", other, map[string]string{"secret": invite})
	secrets = append(secrets, invite, other)

	_, body = refresh(t, e, tok.RefreshToken)
	rotated := decode[tokenResp](t, body)
	refresh(t, e, tok.RefreshToken) // reuse: logged as a warning, without the token
	e.API(t, http.MethodPost, "/oauth/revoke", "", map[string]string{"token": rotated.RefreshToken})
	e.API(t, http.MethodGet, "/v1alpha1/user/profile", "garbage."+rotated.AccessToken, nil)
	secrets = append(secrets, rotated.AccessToken, rotated.RefreshToken)

	// A request is logged after its answer is sent: stopping the emulator makes sure
	// every line is in.
	e.Stop(t)
	logs := e.Logs()
	if !strings.Contains(logs, "reused") {
		t.Fatalf("reuse was not logged; the scan below proves less than it should:\n%s", logs)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("a secret (%d chars, starting %.3s) appears in the log", len(s), s)
		}
	}
}
