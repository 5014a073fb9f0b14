package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// debounce is how long the file must be quiet before a reload: an editor's save is
// several events (write, rename, chmod) in quick succession.
const debounce = 200 * time.Millisecond

// Watcher keeps the last good configuration of one file and reloads it when the
// file changes or Reload is called.
type Watcher struct {
	path     string
	log      *slog.Logger
	onChange func(*Config)
	fsw      *fsnotify.Watcher

	mu      sync.Mutex // serialises reloads and callbacks
	current *Config

	cancel context.CancelFunc
	done   chan struct{}
}

// Watch loads path and watches it until ctx ends or Close. A bad file at start is
// an error. Later, each valid change that differs from the current config is passed
// to onChange (never concurrently); an invalid change is logged at warn level with
// its position and the last good config stays. The parent directory is watched,
// not the file, because editors save by writing a new file and renaming it over
// the old; the directory is created (0700) if missing so that a config written
// later is seen.
func Watch(ctx context.Context, path string, log *slog.Logger, onChange func(*Config)) (*Watcher, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, err := Load(path)
	if err != nil {
		return nil, err
	}

	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create config directory %s: %w", dir, err)
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}
	if err := fsw.Add(dir); err != nil {
		_ = fsw.Close()
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}

	ctx, cancel := context.WithCancel(ctx)
	w := &Watcher{path: path, log: log, onChange: onChange, fsw: fsw,
		current: cfg, cancel: cancel, done: make(chan struct{})}
	go w.loop(ctx)
	return w, nil
}

// Current returns the last good configuration. Callers must not modify it.
func (w *Watcher) Current() *Config {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.current
}

// Reload reads the file now (for SIGHUP). It returns the load error, if any, after
// logging it; the last good config stays in that case.
func (w *Watcher) Reload() error {
	w.mu.Lock()
	defer w.mu.Unlock()

	cfg, err := Load(w.path)
	if err != nil {
		w.logBad(err)
		return err
	}
	if reflect.DeepEqual(cfg, w.current) {
		return nil
	}
	w.current = cfg
	w.log.Info("config reloaded", "file", w.path)
	if w.onChange != nil {
		w.onChange(cfg)
	}
	return nil
}

// Close stops watching and waits for the watcher's goroutine to end.
func (w *Watcher) Close() error {
	w.cancel()
	<-w.done
	return nil
}

func (w *Watcher) loop(ctx context.Context) {
	defer close(w.done)
	defer w.fsw.Close()

	name := filepath.Base(w.path)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()

	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			if filepath.Base(ev.Name) == name {
				timer.Reset(debounce)
			}
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			// An overflow means events were lost; a reload catches up.
			w.log.Warn("config watcher error", "file", w.path, "err", err)
			timer.Reset(debounce)
		case <-timer.C:
			_ = w.Reload()
		}
	}
}

// logBad logs a failed reload with its position, so the user can find the mistake.
func (w *Watcher) logBad(err error) {
	attrs := []any{"file", w.path, "err", err}
	var ce *Error
	if errors.As(err, &ce) {
		attrs = append(attrs, "line", ce.Line, "column", ce.Column, "key", ce.Key)
	}
	w.log.Warn("config change ignored; keeping the last good config", attrs...)
}
