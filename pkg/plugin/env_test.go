package plugin

import (
	"slices"
	"testing"
)

func TestMinimalEnv(t *testing.T) {
	in := []string{
		"PATH=/bin", "HOME=/h", "XDG_RUNTIME_DIR=/r", "LC_ALL=C", "DBOS_DOMAIN=x",
		"DBOS_TOKEN=t", "DBOS_REFRESH_TOKEN=r", "DBOS_KEYRING_PASSWORD=p", "DBOS_API_KEY=k",
		"AWS_SECRET_ACCESS_KEY=s", "GITHUB_TOKEN=g", "SSH_AUTH_SOCK=/s", "NOEQUALS",
	}
	want := []string{"PATH=/bin", "HOME=/h", "XDG_RUNTIME_DIR=/r", "LC_ALL=C", "DBOS_DOMAIN=x"}
	if got := minimalEnv(in); !slices.Equal(got, want) {
		t.Fatalf("minimalEnv = %q, want %q", got, want)
	}
}
