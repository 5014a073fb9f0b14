package cloud

import (
	"errors"
	"strings"
	"testing"
)

func TestValidUsername(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
		msg  string
	}{
		{"abc", true, ""},
		{"alice_01", true, ""},
		{strings.Repeat("a", 30), true, ""},
		{"ab", false, "3~30"},
		{strings.Repeat("a", 31), false, "3~30"},
		{"", false, "3~30"},
		{"Alice", false, "lowercase"},
		{"al-ice", false, "lowercase"},
		{"al ice", false, "lowercase"},
		{"élan", false, "lowercase"},
	}
	for _, tt := range tests {
		err := ValidUsername(tt.name)
		if tt.ok != (err == nil) {
			t.Errorf("%q: error %v", tt.name, err)
			continue
		}
		if err != nil && (!strings.Contains(err.Error(), tt.msg) ||
			!errors.Is(err, ErrInvalidUsername)) {
			t.Errorf("%q: error %v", tt.name, err)
		}
	}
}
