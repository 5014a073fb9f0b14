package plugin

import "strings"

// minimalEnv keeps the variables a plugin needs to behave like the CLI (paths, locale,
// terminal, proxies and CA settings for its API calls, non-secret DBOS_ settings such
// as DBOS_DOMAIN) and drops everything else, in particular DBOS_TOKEN and
// DBOS_REFRESH_TOKEN: a plugin gets tokens only from the host's token service.
func minimalEnv(environ []string) []string {
	var out []string
	for _, kv := range environ {
		k, _, ok := strings.Cut(kv, "=")
		if ok && keepEnv(k) {
			out = append(out, kv)
		}
	}
	return out
}

var keepExact = map[string]bool{
	"PATH": true, "HOME": true, "USER": true, "LOGNAME": true, "TMPDIR": true, "TZ": true,
	"LANG": true, "LANGUAGE": true, "TERM": true, "NO_COLOR": true,
	"SSL_CERT_FILE": true, "SSL_CERT_DIR": true,
	"HTTP_PROXY": true, "HTTPS_PROXY": true, "NO_PROXY": true,
	"http_proxy": true, "https_proxy": true, "no_proxy": true,
}

func keepEnv(k string) bool {
	switch {
	case keepExact[k], strings.HasPrefix(k, "LC_"), strings.HasPrefix(k, "XDG_"):
		return true
	case strings.HasPrefix(k, "DBOS_"):
		u := strings.ToUpper(k)
		for _, bad := range []string{"TOKEN", "SECRET", "PASS", "KEY", "CRED", "AUTH"} {
			if strings.Contains(u, bad) {
				return false
			}
		}
		return true
	}
	return false
}
