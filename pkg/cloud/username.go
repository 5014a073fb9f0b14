package cloud

import "errors"

// ErrInvalidUsername marks a user or organization name that breaks the username rule.
var ErrInvalidUsername = errors.New("invalid username")

// usernameError states which part of the rule a name breaks.
type usernameError string

func (e usernameError) Error() string        { return string(e) }
func (e usernameError) Is(target error) bool { return target == ErrInvalidUsername }

// ValidUsername checks the username rule of the service (CONTRACT.md §4.2): 3 to 30
// characters, each a lowercase letter, digit or underscore. Organization names follow
// the same rule. The error, worded as the official CLI's messages, matches
// ErrInvalidUsername.
func ValidUsername(name string) error {
	if len(name) < 3 || len(name) > 30 {
		return usernameError("username must be 3~30 characters long")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z') && !(r >= '0' && r <= '9') && r != '_' {
			return usernameError(
				"username must contain only lowercase letters, numbers, and underscores")
		}
	}
	return nil
}
