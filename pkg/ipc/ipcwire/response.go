package ipcwire

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// MaxResponseBytes bounds a response body; a status with a thousand accounts is far
// below it.
const MaxResponseBytes = 16 << 20

// maxHeaderBytes bounds the status line and headers together; the daemon sends a
// few hundred bytes.
const maxHeaderBytes = 64 << 10

// ErrMalformedResponse reports an answer on the socket that is not the HTTP/1.1
// this package reads.
var ErrMalformedResponse = errors.New("malformed response from dbos-credd")

// Response is one HTTP response as read from the socket.
type Response struct {
	// Status is the status code; Reason the text after it ("Not Found").
	Status int
	Reason string
	Body   []byte
	// Close is true when the server said it closes the connection, or the body
	// runs to the connection's end.
	Close bool

	http10 bool
}

// ReadResponse reads one HTTP/1.x response: the status line, the headers, and a
// body delimited by Content-Length, by chunked transfer coding, or by the end of
// the connection, of at most limit bytes. Only what a client of the daemon needs
// is interpreted: Content-Length, Transfer-Encoding and Connection. Interim (1xx)
// answers are refused: this package never sends Expect.
func ReadResponse(r *bufio.Reader, limit int64) (*Response, error) {
	h := headerReader{r: r, left: maxHeaderBytes}
	line, err := h.line()
	if err != nil {
		return nil, err
	}
	resp, err := parseStatusLine(line)
	if err != nil {
		return nil, err
	}

	length, chunked, err := h.fields(resp)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.Status == 204 || resp.Status == 304:
		return resp, nil
	case chunked:
		resp.Body, err = readChunked(&h, limit)
	case length >= 0:
		resp.Body, err = readLength(r, length, limit)
	default:
		resp.Close = true // the end of the connection ends the body
		resp.Body, err = readToEOF(r, limit)
	}
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// parseStatusLine reads "HTTP/1.1 404 Not Found".
func parseStatusLine(line []byte) (*Response, error) {
	proto, rest, ok := bytes.Cut(line, []byte(" "))
	if !ok || !(string(proto) == "HTTP/1.1" || string(proto) == "HTTP/1.0") {
		return nil, fmt.Errorf("%w: no HTTP/1.x status line", ErrMalformedResponse)
	}
	code, reason, _ := bytes.Cut(rest, []byte(" "))
	if len(code) != 3 || !allDigits(code) || code[0] < '1' || code[0] > '5' {
		return nil, fmt.Errorf("%w: bad status code", ErrMalformedResponse)
	}
	status := int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0')
	if status < 200 {
		return nil, fmt.Errorf("%w: unexpected interim answer %d", ErrMalformedResponse, status)
	}
	return &Response{Status: status, Reason: string(reason), http10: string(proto) == "HTTP/1.0"}, nil
}

// headerReader reads CRLF- (or LF-) terminated lines within a byte budget.
type headerReader struct {
	r    *bufio.Reader
	left int
}

// line returns the next line without its end; the slice is valid until the next
// read.
func (h *headerReader) line() ([]byte, error) {
	line, err := h.r.ReadSlice('\n')
	h.left -= len(line)
	switch {
	case errors.Is(err, bufio.ErrBufferFull), err == nil && h.left < 0:
		return nil, fmt.Errorf("%w: headers longer than %d bytes", ErrMalformedResponse, maxHeaderBytes)
	case errors.Is(err, io.EOF):
		return nil, fmt.Errorf("%w: connection closed in the headers", ErrMalformedResponse)
	case err != nil:
		return nil, fmt.Errorf("read dbos-credd response: %w", err)
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// chunkLine returns the next line of chunked framing, which must end in CRLF and
// hold no other CR.
func (h *headerReader) chunkLine() ([]byte, error) {
	line, err := h.r.ReadSlice('\n')
	if err != nil {
		return nil, fmt.Errorf("%w: chunked body cut short", ErrMalformedResponse)
	}
	if n := len(line); n < 2 || n > maxChunkLine || bytes.IndexByte(line, '\r') != n-2 {
		return nil, fmt.Errorf("%w: chunk line not ended by CRLF", ErrMalformedResponse)
	}
	return line[:len(line)-2], nil
}

// fields reads the header fields up to the blank line. length is -1 when no
// Content-Length was sent.
func (h *headerReader) fields(resp *Response) (length int64, chunked bool, err error) {
	length = -1
	for {
		line, err := h.line()
		if err != nil {
			return 0, false, err
		}
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || !validFieldName(name) || !validFieldValue(value) {
			return 0, false, fmt.Errorf("%w: bad header line", ErrMalformedResponse)
		}
		value = bytes.Trim(value, " \t")
		switch {
		case asciiEqualFold(name, "Content-Length"):
			n, ok := parseLength(value)
			if !ok || length >= 0 && n != length {
				return 0, false, fmt.Errorf("%w: bad Content-Length", ErrMalformedResponse)
			}
			length = n
		case asciiEqualFold(name, "Transfer-Encoding"):
			if !asciiEqualFold(value, "chunked") || chunked {
				return 0, false, fmt.Errorf("%w: unsupported Transfer-Encoding", ErrMalformedResponse)
			}
			chunked = true
		case asciiEqualFold(name, "Connection"):
			resp.Close = resp.Close || hasToken(value, "close")
		}
	}
	if chunked && resp.http10 {
		return 0, false, fmt.Errorf("%w: chunked coding in an HTTP/1.0 answer", ErrMalformedResponse)
	}
	if chunked && length >= 0 {
		return 0, false, fmt.Errorf("%w: both Content-Length and chunked", ErrMalformedResponse)
	}
	return length, chunked, nil
}

// readLength reads a body of exactly n bytes.
func readLength(r io.Reader, n, limit int64) ([]byte, error) {
	if n > limit {
		return nil, fmt.Errorf("%w: body of %d bytes exceeds %d", ErrMalformedResponse, n, limit)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("%w: body cut short (%v)", ErrMalformedResponse, err)
	}
	return body, nil
}

// readToEOF reads a body that the end of the connection delimits.
func readToEOF(r io.Reader, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read dbos-credd response: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w: body exceeds %d bytes", ErrMalformedResponse, limit)
	}
	return body, nil
}

// maxChunkLine bounds one chunk-size line, as net/http does.
const maxChunkLine = 4096

// maxChunkOverhead bounds the bytes of chunk framing beyond 16 per chunk and twice
// the chunk's data: net/http's guard against a sender that trickles framing.
const maxChunkOverhead = 16 << 10

// readChunked reads a chunked body within limit bytes of data. It is no looser than
// net/http: chunk lines end in CRLF (RFC 9112 erratum 7633 refuses a bare LF there),
// chunk extensions are ignored, and a trailer is refused, since dbos-credd never
// sends one.
func readChunked(h *headerReader, limit int64) ([]byte, error) {
	var body []byte
	var overhead int64
	for {
		line, err := h.chunkLine()
		if err != nil {
			return nil, err
		}
		n, err := parseChunkSize(line)
		if err != nil {
			return nil, err
		}

		overhead += int64(len(line)) + 2 - 16 - 2*int64(min(n, uint64(limit)))
		overhead = max(overhead, 0)
		if overhead > maxChunkOverhead {
			return nil, fmt.Errorf("%w: too much chunk framing", ErrMalformedResponse)
		}
		if n == 0 {
			break
		}
		if n > uint64(limit-int64(len(body))) {
			return nil, fmt.Errorf("%w: body exceeds %d bytes", ErrMalformedResponse, limit)
		}

		chunk, err := readLength(h.r, int64(n), int64(n))
		if err != nil {
			return nil, err
		}
		body = append(body, chunk...)
		if end, err := h.chunkLine(); err != nil || len(end) != 0 {
			return nil, fmt.Errorf("%w: chunk not followed by CRLF", ErrMalformedResponse)
		}
	}

	if end, err := h.chunkLine(); err != nil || len(end) != 0 {
		return nil, fmt.Errorf("%w: trailer after a chunked body", ErrMalformedResponse)
	}
	return body, nil
}

// parseChunkSize reads the hexadecimal size of a chunk line, after dropping
// trailing blanks and any extension. Leading blanks and signs are refused.
func parseChunkSize(line []byte) (uint64, error) {
	size, _, _ := bytes.Cut(bytes.TrimRight(line, " \t"), []byte(";"))
	if len(size) == 0 || len(size) > 16 {
		return 0, fmt.Errorf("%w: bad chunk size", ErrMalformedResponse)
	}
	for _, c := range size {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return 0, fmt.Errorf("%w: bad chunk size", ErrMalformedResponse)
		}
	}
	return strconv.ParseUint(string(size), 16, 64)
}

// ErrorFromBody turns an error answer into *Error: the code and message of its
// ErrorBody, or CodeInternal naming the status when the body is not one.
func ErrorFromBody(status int, reason string, body []byte) *Error {
	eb, ok := ParseErrorBody(body)
	if !ok && json.Unmarshal(body, &eb) != nil || eb.Code == "" {
		return &Error{Code: CodeInternal, Status: status, Message: "dbos-credd answered " +
			strconv.Itoa(status) + " " + reason + " without an error body"}
	}
	return &Error{Code: eb.Code, Message: eb.Message, Status: status}
}

// validFieldName reports whether b is an HTTP token (RFC 9110 section 5.6.2).
func validFieldName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// validFieldValue reports whether b holds no control character but tab.
func validFieldValue(b []byte) bool {
	for _, c := range b {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func parseLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 || !allDigits(v) {
		return 0, false
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	return n, err == nil
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// hasToken reports whether the comma-separated list v holds tok, ignoring case.
func hasToken(v []byte, tok string) bool {
	for len(v) > 0 {
		var item []byte
		item, v, _ = bytes.Cut(v, []byte(","))
		if asciiEqualFold(bytes.Trim(item, " \t"), tok) {
			return true
		}
	}
	return false
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
