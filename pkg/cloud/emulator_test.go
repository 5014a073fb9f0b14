package cloud_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
	"github.com/dbos-go/dbos-cloud/pkg/cloud"
	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// These tests drive every call against the real emulator binary.

// user is one logged-in identity with its client.
type user struct {
	access secret.Token
	c      *cloud.Client
}

func login(t *testing.T, e *emulatortest.Emulator, identity string) user {
	t.Helper()
	access, _ := e.Login(t, identity, "sub")
	tok := secret.New(access)
	return user{access: tok, c: &cloud.Client{
		HTTP:      e.Client(),
		BaseURL:   e.URL(),
		UserAgent: "cloud-test/1",
		Token:     func(context.Context) (secret.Token, error) { return tok, nil },
	}}
}

// leakCheck collects every secret of a test and checks error texts against them.
type leakCheck struct {
	t       *testing.T
	secrets []secret.Token
}

func (l *leakCheck) add(s ...secret.Token) { l.secrets = append(l.secrets, s...) }

func (l *leakCheck) check(err error) {
	l.t.Helper()
	if err == nil {
		return
	}
	for _, s := range l.secrets {
		if strings.Contains(err.Error(), s.Reveal()) {
			l.t.Errorf("error leaks a secret: %v", err)
		}
	}
}

// wantStatus fails unless err is an *APIError with the given status.
func wantStatus(t *testing.T, l *leakCheck, err error, status int) *cloud.APIError {
	t.Helper()
	l.check(err)
	var ae *cloud.APIError
	if !errors.As(err, &ae) || ae.Status != status {
		t.Fatalf("error %v, want an API error with status %d", err, status)
	}
	if ae.RequestID == "" || ae.Message == "" {
		t.Errorf("API error without request ID or message: %+v", ae)
	}
	return ae
}

func TestEmulatorAccountAndOrganization(t *testing.T) {
	e := emulatortest.Start(t)
	ctx := context.Background()
	alice, bob, carol := login(t, e, "alice-id"), login(t, e, "bob-id"), login(t, e, "carol-id")
	l := &leakCheck{t: t}
	l.add(alice.access, bob.access, carol.access)

	// Unregistered: the profile says so.
	_, err := alice.c.Profile(ctx)
	if !errors.Is(err, cloud.ErrUserNotFound) {
		t.Fatalf("profile before registration: %v, want ErrUserNotFound", err)
	}
	l.check(err)

	err = alice.c.Register(ctx, cloud.Registration{Name: "Bad-Name"})
	wantStatus(t, l, err, http.StatusBadRequest)

	if err := alice.c.Register(ctx, cloud.Registration{Name: "alice", GivenName: "Alice",
		FamilyName: "A", Company: "Acme"}); err != nil {
		t.Fatal(err)
	}
	p, err := alice.c.Profile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "alice" || p.Organization != "alice" || !strings.Contains(string(p.Raw),
		`"Name":"alice"`) {
		t.Errorf("profile %+v raw %s", p, p.Raw)
	}

	// bob joins through registration with an invite secret.
	inv, err := alice.c.InviteSecret(ctx, "alice")
	if err != nil || inv.IsZero() {
		t.Fatalf("invite: %v", err)
	}
	l.add(inv)
	if err := bob.c.Register(ctx, cloud.Registration{Name: "bob", Secret: inv}); err != nil {
		t.Fatal(err)
	}
	if p, err := bob.c.Profile(ctx); err != nil || p.Organization != "alice" {
		t.Fatalf("bob's profile %+v, %v", p, err)
	}

	// The secret is single-use.
	err = carol.c.Register(ctx, cloud.Registration{Name: "carol", Secret: inv})
	wantStatus(t, l, err, http.StatusBadRequest)

	// A member who is not the admin may list but not invite, rename or remove.
	users, err := bob.c.ListUsers(ctx, "alice")
	if err != nil || users.OrgName != "alice" || !slices.Equal(users.UserNames,
		[]string{"alice", "bob"}) {
		t.Fatalf("list: %+v, %v", users, err)
	}
	_, err = bob.c.InviteSecret(ctx, "alice")
	wantStatus(t, l, err, http.StatusForbidden)
	wantStatus(t, l, bob.c.RenameOrg(ctx, "alice", "bobs"), http.StatusForbidden)
	wantStatus(t, l, bob.c.RemoveUser(ctx, "alice", "alice"), http.StatusForbidden)

	// The admin renames the organization; the old name is gone.
	if err := alice.c.RenameOrg(ctx, "alice", "acme"); err != nil {
		t.Fatal(err)
	}
	_, err = alice.c.ListUsers(ctx, "alice")
	wantStatus(t, l, err, http.StatusNotFound)
	wantStatus(t, l, alice.c.RenameOrg(ctx, "acme", ""), http.StatusBadRequest)

	// carol registers on her own, then joins with a fresh secret; a second use fails.
	if err := carol.c.Register(ctx, cloud.Registration{Name: "carol"}); err != nil {
		t.Fatal(err)
	}
	inv2, err := alice.c.InviteSecret(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	l.add(inv2)
	if err := carol.c.JoinOrg(ctx, "acme", inv2); err != nil {
		t.Fatal(err)
	}
	dave := login(t, e, "dave-id")
	l.add(dave.access)
	if err := dave.c.Register(ctx, cloud.Registration{Name: "dave"}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, l, dave.c.JoinOrg(ctx, "acme", inv2), http.StatusBadRequest)
	wantStatus(t, l, dave.c.JoinOrg(ctx, "acme", secret.New("made-up-secret")),
		http.StatusBadRequest)

	// The admin removes bob; removing him twice is a 404.
	if err := alice.c.RemoveUser(ctx, "acme", "bob"); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, l, alice.c.RemoveUser(ctx, "acme", "bob"), http.StatusNotFound)
	users, err = alice.c.ListUsers(ctx, "acme")
	if err != nil || !slices.Equal(users.UserNames, []string{"alice", "carol"}) {
		t.Fatalf("list after remove: %+v, %v", users, err)
	}
}

func TestEmulatorUnauthorized(t *testing.T) {
	e := emulatortest.Start(t)
	bad := secret.New("not-a-real-access-token")
	c := &cloud.Client{HTTP: e.Client(), BaseURL: e.URL(),
		Token: func(context.Context) (secret.Token, error) { return bad, nil }}
	l := &leakCheck{t: t, secrets: []secret.Token{bad}}

	_, err := c.Profile(context.Background())
	if !errors.Is(err, cloud.ErrUnauthorized) || errors.Is(err, cloud.ErrUserNotFound) {
		t.Fatalf("error %v, want ErrUnauthorized", err)
	}
	l.check(err)
	err = c.JoinOrg(context.Background(), "acme", secret.New("invite-xyz-1"))
	if !errors.Is(err, cloud.ErrUnauthorized) {
		t.Fatalf("error %v, want ErrUnauthorized", err)
	}
	l.check(err)
}

func TestEmulatorUnavailable(t *testing.T) {
	e := emulatortest.Start(t)
	u := login(t, e, "frank-id")
	e.Fault(t, "/v1alpha1/user/profile", http.StatusBadGateway, 0, 1)
	_, err := u.c.Profile(context.Background())
	if !errors.Is(err, cloud.ErrUnavailable) {
		t.Fatalf("error %v, want ErrUnavailable", err)
	}
	(&leakCheck{t: t, secrets: []secret.Token{u.access}}).check(err)
}
