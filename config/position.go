package config

import "strings"

// The TOML library does not expose where a key was defined, so validation errors
// find it again in the source. This is a line scanner, not a parser: it follows
// [table] and [[array]] headers and dotted or quoted keys, which covers what people
// write in this file. A key inside a multi-line string or an inline table is not
// found; the error then has no line, which is still a correct error.

// locate returns the 1-based line and column where key is defined in src, or 0, 0.
func locate(src string, key []string) (line, col int) {
	want := strings.Join(key, "\x00")
	var table []string

	for i, text := range strings.Split(src, "\n") {
		trimmed := strings.TrimLeft(text, " \t")
		indent := len(text) - len(trimmed)
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}

		if trimmed[0] == '[' {
			table = splitKey(headerName(trimmed))
			if strings.Join(table, "\x00") == want {
				return i + 1, indent + 1
			}
			continue
		}

		eq := strings.IndexByte(trimmed, '=')
		if eq < 0 {
			continue
		}
		full := append(append([]string(nil), table...), splitKey(trimmed[:eq])...)
		if strings.Join(full, "\x00") == want {
			return i + 1, indent + 1
		}
	}
	return 0, 0
}

// headerName returns the name inside a [table] or [[array]] header line.
func headerName(line string) string {
	name := strings.TrimLeft(line, "[")
	if end := strings.IndexByte(name, ']'); end >= 0 {
		name = name[:end]
	}
	return name
}

// splitKey splits a dotted TOML key, honouring quotes: `a."b.c".d` is a, b.c, d.
func splitKey(s string) []string {
	var parts []string
	var cur strings.Builder
	var quote byte

	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '"' || c == '\'':
			quote = c
		case c == '.':
			parts = append(parts, strings.TrimSpace(cur.String()))
			cur.Reset()
		case c == ' ' || c == '\t':
			// whitespace around dots and before '=' is not part of the key
		default:
			cur.WriteByte(c)
		}
	}
	return append(parts, strings.TrimSpace(cur.String()))
}
