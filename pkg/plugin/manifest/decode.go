package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// decode reads a manifest file's JSON. It decodes into generic values and then fills
// the structs field by field, because json.Unmarshal into the structs themselves
// reflects on every field of every type (building encoders too) at its first use in a
// process: 0.6 ms of the 1 ms that reading the manifest added to `dbos-cloud --help`.
//
// It follows json.Unmarshal into Manifest, except that keys must match the json
// tags exactly (json.Unmarshal also accepts other letter cases; only this package
// writes the file). Unknown keys are ignored, null leaves the zero value, and a value
// of the wrong type is an error.
func decode(b []byte) (Manifest, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // integers are parsed from their text, as json.Unmarshal does
	if err := dec.Decode(&v); err != nil {
		return Manifest{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return Manifest{}, errors.New("data after the manifest's JSON value")
	}
	var m Manifest
	err := object(v, func(k string, v any) error {
		switch k {
		case "version":
			return integer(v, &m.Version)
		case "plugins":
			if v != nil {
				m.Plugins = map[string]*Entry{} // {} is an empty map, as for json.Unmarshal
			}
			return object(v, func(name string, v any) error {
				e, err := entry(v)
				m.Plugins[name] = e
				return err
			})
		}
		return nil
	})
	return m, err
}

var errType = errors.New("wrong JSON type")

// object calls field for each key of v, a JSON object (or null).
func object(v any, field func(k string, v any) error) error {
	if v == nil {
		return nil
	}
	o, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%w: %T for an object", errType, v)
	}
	for k, fv := range o {
		if err := field(k, fv); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

// array calls start with the length of v, a JSON array, then elem for each element
// (neither for null). start makes the slice: [] is an empty slice, not nil, as for
// json.Unmarshal.
func array(v any, start func(n int), elem func(v any) error) error {
	if v == nil {
		return nil
	}
	a, ok := v.([]any)
	if !ok {
		return fmt.Errorf("%w: %T for an array", errType, v)
	}
	start(len(a))
	for _, ev := range a {
		if err := elem(ev); err != nil {
			return err
		}
	}
	return nil
}

func str(v any, dst *string) error {
	switch s := v.(type) {
	case nil:
	case string:
		*dst = s
	default:
		return fmt.Errorf("%w: %T for a string", errType, v)
	}
	return nil
}

func strs(v any, dst *[]string) error {
	return array(v, func(n int) { *dst = make([]string, 0, n) }, func(v any) error {
		var s string
		err := str(v, &s)
		*dst = append(*dst, s)
		return err
	})
}

func boolean(v any, dst *bool) error {
	switch b := v.(type) {
	case nil:
	case bool:
		*dst = b
	default:
		return fmt.Errorf("%w: %T for a boolean", errType, v)
	}
	return nil
}

// int64Of accepts what json.Unmarshal accepts for an integer of bits bits: a number
// written without fraction or exponent, in range.
func int64Of(v any, bits int) (int64, bool, error) {
	if v == nil {
		return 0, false, nil
	}
	num, ok := v.(json.Number)
	if !ok {
		return 0, false, fmt.Errorf("%w: %T for a number", errType, v)
	}
	n, err := strconv.ParseInt(string(num), 10, bits)
	if err != nil {
		return 0, false, fmt.Errorf("%w: %w", errType, err)
	}
	return n, true, nil
}

func integer(v any, dst *int) error {
	n, ok, err := int64Of(v, strconv.IntSize)
	if ok {
		*dst = int(n)
	}
	return err
}

func entry(v any) (*Entry, error) {
	if v == nil {
		return nil, nil
	}
	e := &Entry{}
	err := object(v, func(k string, v any) error {
		switch k {
		case "path":
			return str(v, &e.Path)
		case "size":
			return signed(v, &e.Size)
		case "mtime":
			var s string
			if err := str(v, &s); err != nil || v == nil {
				return err
			}
			return e.ModTime.UnmarshalText([]byte(s))
		case "sha256":
			return str(v, &e.SHA256)
		case "description":
			d, err := description(v)
			e.Description = d
			return err
		case "verified":
			st, err := stamp(v)
			e.Verified = st
			return err
		case "failed":
			return str(v, &e.Failed)
		}
		return nil
	})
	return e, err
}

func stamp(v any) (*Stamp, error) {
	if v == nil {
		return nil, nil
	}
	st := &Stamp{}
	err := object(v, func(k string, v any) error {
		switch k {
		case "dev":
			return unsigned(v, &st.Dev)
		case "ino":
			return unsigned(v, &st.Ino)
		case "size":
			return signed(v, &st.Size)
		case "mtime_ns":
			return signed(v, &st.Mtime)
		case "ctime_ns":
			return signed(v, &st.Ctime)
		}
		return nil
	})
	return st, err
}

func signed(v any, dst *int64) error {
	n, ok, err := int64Of(v, 64)
	if ok {
		*dst = n
	}
	return err
}

// unsigned accepts what json.Unmarshal accepts for a uint64.
func unsigned(v any, dst *uint64) error {
	if v == nil {
		return nil
	}
	num, ok := v.(json.Number)
	if !ok {
		return fmt.Errorf("%w: %T for a number", errType, v)
	}
	n, err := strconv.ParseUint(string(num), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %w", errType, err)
	}
	*dst = n
	return nil
}

func description(v any) (*Description, error) {
	if v == nil {
		return nil, nil
	}
	d := &Description{}
	err := object(v, func(k string, v any) error {
		switch k {
		case "summary":
			return str(v, &d.Summary)
		case "commands":
			return commands(v, &d.Commands)
		}
		return nil
	})
	return d, err
}

func commands(v any, dst *[]*Command) error {
	return array(v, func(n int) { *dst = make([]*Command, 0, n) }, func(v any) error {
		c, err := command(v)
		*dst = append(*dst, c)
		return err
	})
}

func command(v any) (*Command, error) {
	if v == nil {
		return nil, nil
	}
	c := &Command{}
	err := object(v, func(k string, v any) error {
		switch k {
		case "name":
			return str(v, &c.Name)
		case "aliases":
			return strs(v, &c.Aliases)
		case "usage":
			return str(v, &c.Usage)
		case "description":
			return str(v, &c.Description)
		case "args_usage":
			return str(v, &c.ArgsUsage)
		case "flags":
			return array(v, func(n int) { c.Flags = make([]*Flag, 0, n) }, func(v any) error {
				f, err := flag(v)
				c.Flags = append(c.Flags, f)
				return err
			})
		case "subcommands":
			return commands(v, &c.Subcommands)
		case "min_args":
			return integer(v, &c.MinArgs)
		case "max_args":
			return integer(v, &c.MaxArgs)
		}
		return nil
	})
	return c, err
}

func flag(v any) (*Flag, error) {
	if v == nil {
		return nil, nil
	}
	f := &Flag{}
	err := object(v, func(k string, v any) error {
		switch k {
		case "name":
			return str(v, &f.Name)
		case "aliases":
			return strs(v, &f.Aliases)
		case "usage":
			return str(v, &f.Usage)
		case "type":
			var s string
			err := str(v, &s)
			f.Type = FlagType(s)
			return err
		case "default":
			return str(v, &f.Default)
		case "required":
			return boolean(v, &f.Required)
		}
		return nil
	})
	return f, err
}
