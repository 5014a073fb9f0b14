package emulator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const clockOffsetMeta = "clock_offset"

func (s *Server) testRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /emulator/approve", s.testApprove)
	mux.HandleFunc("POST /emulator/clock", s.testClock)
	mux.HandleFunc("GET /emulator/stats", s.testStats)
	mux.HandleFunc("POST /emulator/fault", s.testFault)
	mux.HandleFunc("DELETE /emulator/fault", s.testClearFaults)
}

// restoreClock reloads a clock offset saved by the test API, so that a persistent
// emulator restarted mid-test does not see its stored expiries jump back.
func (s *Server) restoreClock(ctx context.Context) error {
	v, ok, err := s.store.Meta(ctx, clockOffsetMeta)
	if err != nil || !ok {
		return err
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("stored clock offset %q: %w", v, err)
	}
	s.clock.Advance(d)
	return nil
}

func (s *Server) testApprove(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(r)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	deny := p.Get("deny") == "1" || p.Get("deny") == "true"
	if !deny && !validIdentity(p.Get("user")) {
		writeError(w, r, http.StatusBadRequest, "user must be 1 to 200 printable characters")
		return
	}
	if err := s.decide(r.Context(), p.Get("user_code"), p.Get("user"), deny); err != nil {
		s.decideFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"approved": !deny})
}

func (s *Server) decideFail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		writeError(w, r, http.StatusNotFound, "no pending device login with this code")
	case errors.Is(err, ErrConflict):
		writeError(w, r, http.StatusConflict, "this device login is already decided or expired")
	default:
		s.serverError(w, r, err)
	}
}

// decide approves (as identity) or denies the pending device login with this user
// code. The page and the test API both end here.
func (s *Server) decide(ctx context.Context, userCode, identity string, deny bool) error {
	dev, err := s.store.DeviceByUserCode(ctx, normalizeUserCode(userCode))
	if err != nil {
		return err
	}
	if dev.State != devicePending || !s.clock.Now().Before(dev.ExpiresAt) {
		return ErrConflict
	}
	to := deviceApproved
	if deny {
		to, identity = deviceDenied, ""
	}
	ok, err := s.store.MoveDevice(ctx, dev.CodeHash, devicePending, to, identity)
	if err != nil {
		return err
	}
	if !ok {
		return ErrConflict
	}
	return nil
}

// validIdentity bounds what a person may log in as: printable, one line, not huge.
func validIdentity(id string) bool {
	if id == "" || len(id) > 200 || strings.TrimSpace(id) != id {
		return false
	}
	for _, c := range id {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

func (s *Server) testClock(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(r)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	d, err := time.ParseDuration(p.Get("advance"))
	if err != nil || d < 0 {
		writeError(w, r, http.StatusBadRequest, "advance must be a non-negative Go duration")
		return
	}
	s.clock.Advance(d)
	if err := s.store.SetMeta(r.Context(), clockOffsetMeta, s.clock.Offset().String()); err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"now": s.clock.Now().UTC().Format(time.RFC3339)})
}

func (s *Server) testStats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"requests": s.stats.requests.Load(),
		"token_grants": map[string]int64{
			"device_code":   s.stats.deviceGrants.Load(),
			"refresh_token": s.stats.refreshGrants.Load(),
		},
		"refresh_failures": s.stats.refreshFailures.Load(),
		"refresh_reuses":   s.stats.refreshReuses.Load(),
		"revocations":      s.stats.revocations.Load(),
	})
}

// fault is an injected failure or delay on one path.
type fault struct {
	path      string
	status    int           // 0: only delay, then serve normally
	delay     time.Duration // before answering
	remaining int           // requests still to hit; 0 means until cleared
}

// faults holds the injected faults; the middleware consults it on every request
// outside /emulator/.
type faults struct {
	mu   sync.Mutex
	list []*fault
}

func (f *faults) add(x *fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.list = append(f.list, x)
}

func (f *faults) clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.list = nil
}

// take returns the fault for path, if any, using up one of its count.
func (f *faults) take(path string) (fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.list {
		if x.path != path {
			continue
		}
		got := *x
		if x.remaining > 0 {
			x.remaining--
			if x.remaining == 0 {
				f.list = append(f.list[:i], f.list[i+1:]...)
			}
		}
		return got, true
	}
	return fault{}, false
}

// apply delays or fails r as an injected fault says; it reports whether it answered.
func (f *faults) apply(w http.ResponseWriter, r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/emulator/") {
		return false
	}
	x, ok := f.take(r.URL.Path)
	if !ok {
		return false
	}
	if x.delay > 0 {
		t := time.NewTimer(x.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		}
	}
	if x.status == 0 {
		return false
	}
	// Both error shapes in one body, so an OAuth client reads "error" and an API
	// client reads the §3.1 fields.
	msg := "fault injected by the emulator's test API"
	writeJSON(w, x.status, map[string]any{
		"error": "temporarily_unavailable", "error_description": msg,
		"message": msg, "statusCode": x.status, "requestID": requestID(r),
	})
	return true
}

func (s *Server) testFault(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(r)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	x, err := parseFault(p.Get("path"), p.Get("status"), p.Get("delay"), p.Get("count"))
	if err != nil {
		writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	s.faults.add(x)
	writeJSON(w, http.StatusOK, map[string]string{"path": x.path})
}

func parseFault(path, status, delay, count string) (*fault, error) {
	x := &fault{path: path}
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "/emulator/") {
		return nil, errors.New("path must be an absolute path outside /emulator/")
	}
	var err error
	if status != "" {
		if x.status, err = strconv.Atoi(status); err != nil || x.status < 100 || x.status > 599 {
			return nil, errors.New("status must be an HTTP status code")
		}
	}
	if delay != "" {
		if x.delay, err = time.ParseDuration(delay); err != nil || x.delay < 0 {
			return nil, errors.New("delay must be a non-negative Go duration")
		}
	}
	if count != "" {
		if x.remaining, err = strconv.Atoi(count); err != nil || x.remaining < 0 {
			return nil, errors.New("count must be a non-negative integer")
		}
	}
	if x.status == 0 && x.delay == 0 {
		return nil, errors.New("a fault needs a status, a delay or both")
	}
	return x, nil
}

func (s *Server) testClearFaults(w http.ResponseWriter, r *http.Request) {
	s.faults.clear()
	writeJSON(w, http.StatusOK, map[string]bool{"cleared": true})
}
