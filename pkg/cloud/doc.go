// Package cloud is the typed client for the DBOS Cloud /v1alpha1 account and
// organization API (CONTRACT.md §3), and the resolution of an account's hosts (API
// URL, login issuer, client id) from DBOS_DOMAIN, DBOS_AUTH_DOMAIN and DBOS_CLIENT_ID
// (CONTRACT.md §1.1).
//
// It does not log in or refresh: every request asks the caller's Token function for a
// bearer token. Errors carry the service's status, message and request ID, never the
// bearer token or an invite secret.
package cloud
