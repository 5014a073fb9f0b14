package cloud

import "github.com/dbos-go/dbos-cloud/pkg/cloud/apihost"

// Defaults of the official CLI (CONTRACT.md §1.1); apihost documents them.
const (
	DefaultDomain   = apihost.DefaultDomain
	DefaultAudience = apihost.DefaultAudience
)

// Target holds the hosts of one account (see apihost.Target).
type Target = apihost.Target

// ResolveTarget computes an account's hosts from the values of DBOS_DOMAIN,
// DBOS_AUTH_DOMAIN and DBOS_CLIENT_ID; apihost.Resolve documents the rules. It
// lives in apihost so that git-credential-dbos resolves hosts without linking
// this package's net/http client.
func ResolveTarget(domain, authDomain, clientID string) (Target, error) {
	return apihost.Resolve(domain, authDomain, clientID)
}
