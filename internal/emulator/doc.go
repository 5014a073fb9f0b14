// Package emulator is a local stand-in for DBOS Cloud and its Auth0 login service, for
// development, demos and tests. It is a development tool, not a service: it has no
// passwords, trusts whoever reaches its approval page, and keeps its signing key next
// to its data.
//
// One HTTP server answers both sides of the wire contract (CONTRACT.md):
//
//   - the login side, with Auth0's paths: OpenID discovery, JWKS, the device
//     authorization grant (RFC 8628) with Auth0's error codes and status codes, the
//     refresh-token grant with optional rotation, reuse detection and reuse
//     interval, revocation (form or JSON body), and an HTML page at the verification
//     URI where a person types the identity they log in as and approves or denies;
//   - the /v1alpha1 account and organization API: profile, register, invite secret,
//     list users, rename, join and remove.
//
// State lives in SQLite (a file under the data directory, or one in-memory database):
// users, organizations, device codes, refresh tokens, invite secrets and the RSA
// signing key. Refresh tokens, device codes and invite secrets are stored only as
// SHA-256 hashes. Every expiry decision reads the emulator's Clock, which the test API
// can move forward; the slow_down check alone uses real monotonic time, because it is
// about how fast a client actually polls.
//
// Refresh-token rotation follows Auth0. Each exchange marks the token rotated and
// issues a successor in the same family; presenting a rotated token again revokes
// the family. With a reuse interval (Auth0's "rotation overlap period"), the previous
// token may be exchanged again for that long after its rotation: the answer is a
// fresh pair of the same family, and the successors issued before stay valid. The
// interval counts from the first rotation and does not slide; once a successor has
// itself been exchanged, the token is second-to-last and its reuse revokes the family
// at any time. This is what lets a client that crashed before saving a rotated token
// recover with the one it saved.
//
// Organization rules the real service leaves unspecified, decided here:
//
//   - Registration creates a personal organization named after the user, whose admin
//     the user is; with a valid invite secret the user joins the inviting
//     organization instead, as a plain member.
//   - A removed user is deleted from the emulator: their profile answers "user not
//     found in DBOS Cloud" and they may register again (with a new invite, or a
//     personal organization). Their refresh tokens keep working, as an Auth0 login is
//     independent of a DBOS Cloud account. The admin cannot remove themselves.
//   - An organization left with no members (its last member joined another one) is
//     deleted, with its unused invite secrets, and its name becomes free. An admin
//     cannot join another organization while their own still has other members.
//   - User names and organization names follow one rule (3-30 of [a-z0-9_]) but are
//     separate namespaces; registering without a secret needs both to be free.
//
// What it leaves out: no id_token (the official CLI never asks for openid), no client
// secrets or client registration (every client_id is a public client), no consent
// screens, no applications or databases.
package emulator
