package manifest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// jsonKeys are every key the manifest's struct tags name.
var jsonKeys = []string{"version", "plugins", "path", "size", "mtime", "sha256", "description",
	"summary", "commands", "name", "aliases", "usage", "args_usage", "flags", "subcommands",
	"min_args", "max_args", "type", "default", "required", "verified", "dev", "ino",
	"mtime_ns", "ctime_ns", "failed"}

// plainKeys reports whether b's objects have no repeated key and no key that differs
// from a tag only in letter case: there json.Unmarshal merges or folds, and decode
// (by design) does not.
func plainKeys(b []byte) bool {
	var walk func(v any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				for _, t := range jsonKeys {
					if k != t && strings.EqualFold(k, t) {
						return false
					}
				}
				if !walk(e) {
					return false
				}
			}
		case []any:
			for _, e := range v {
				if !walk(e) {
					return false
				}
			}
		}
		return true
	}
	var v any
	if json.Unmarshal(b, &v) != nil || !walk(v) {
		return false
	}
	// Repeated keys: count the keys of every object on the token stream.
	dec := json.NewDecoder(bytes.NewReader(b))
	type frame struct {
		obj  bool
		seen map[string]bool
		key  bool // the next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return true
		}
		if k, ok := tok.(string); ok && len(stack) > 0 && stack[len(stack)-1].obj &&
			stack[len(stack)-1].key {
			top := stack[len(stack)-1]
			if top.seen[k] {
				return false
			}
			top.seen[k] = true
			top.key = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, seen: map[string]bool{}, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && stack[len(stack)-1].obj {
			stack[len(stack)-1].key = true // a value ended: a key comes next
		}
	}
}

// FuzzDecodeMatchesJSON checks decode against json.Unmarshal into Manifest: never
// stricter, and the same result wherever the keys are plain.
func FuzzDecodeMatchesJSON(f *testing.F) {
	m := New()
	m.Plugins["org"] = NewEntry(Binary{Path: "/bin/x", Size: 7}, bytes.Repeat([]byte{1}, 32), validDesc())
	raw, _ := json.MarshalIndent(m, "", "  ")
	f.Add(raw)
	m.Plugins["broken"] = NewFailedEntry(Binary{Path: "/bin/y", Size: 9}, "crashed: exit 3")
	raw, _ = json.MarshalIndent(m, "", "  ")
	f.Add(raw)
	f.Add([]byte(`{"version":2,"plugins":{"x":{"failed":null},"y":{"failed":7}}}`))
	f.Add([]byte(`{"version":2,"plugins":{"x":{"failed":"a\u001bb","description":{}}}}`))
	f.Add([]byte(`{"version":2.0,"plugins":{"x":null}}`))
	f.Add([]byte(`{"version":2,"plugins":{"x":{"size":9223372036854775808}}}`))
	f.Add([]byte(`{"version":2,"plugins":{"x":{"mtime":"2024-01-02T03:04:05.5+01:00"}}} `))
	f.Add([]byte(`{"Version":2,"version":2,"plugins":{"x":{"description":{"commands":[null,{}]}}}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"version":2,"plugins":{"x":{"verified":{"dev":18446744073709551615,` +
		`"ino":-1,"size":1,"mtime_ns":-5,"ctime_ns":1e3}}}}`))
	f.Add([]byte(`{"version":2,"plugins":{"x":{"verified":{"dev":2049,"ino":7,"size":1,` +
		`"mtime_ns":1700000000000000000,"ctime_ns":1700000000000000001}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var want Manifest
		jerr := json.Unmarshal(b, &want)
		got, err := decode(b)
		if err != nil && jerr == nil {
			t.Fatalf("decode fails (%v) where json.Unmarshal does not", err)
		}
		if jerr == nil && plainKeys(b) && !reflect.DeepEqual(got, want) {
			t.Fatalf("decode differs:\n got %+v\nwant %+v", got, want)
		}
	})
}
