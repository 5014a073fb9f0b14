package ipc

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestListenSocketAndDirModes(t *testing.T) {
	dir := filepath.Join(sockDir(t), "new") // Listen creates it
	path := filepath.Join(dir, "credd.sock")
	ln, err := Listen(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	for _, c := range []struct {
		name string
		want fs.FileMode
	}{{dir, 0o700}, {path, 0o600}} {
		fi, err := os.Stat(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != c.want {
			t.Errorf("%s: mode %04o, want %04o", c.name, got, c.want)
		}
	}
	if fi, _ := os.Lstat(path); fi.Mode().Type() != fs.ModeSocket {
		t.Errorf("%s is not a socket", path)
	}
}

func TestListenCloseRemovesSocketAndReleasesLock(t *testing.T) {
	path := filepath.Join(sockDir(t), "credd.sock")
	ln, err := Listen(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket still there after Close: %v", err)
	}

	ln2, err := Listen(path, nil)
	if err != nil {
		t.Fatalf("second Listen after Close: %v", err)
	}
	ln2.Close()
}

func TestListenRefusesUnsafeDir(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
	}{
		{"group_readable", func(t *testing.T, dir string) { chmod(t, dir, 0o750) }},
		{"world_writable", func(t *testing.T, dir string) { chmod(t, dir, 0o777) }},
		{"other_owner", func(t *testing.T, dir string) {
			if os.Geteuid() != 0 {
				t.Skip("needs root to give the directory away")
			}
			if err := os.Chown(dir, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(sockDir(t), "d")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			tc.setup(t, dir)

			ln, err := Listen(filepath.Join(dir, "credd.sock"), nil)
			if !errors.Is(err, ErrUnsafeDir) {
				if ln != nil {
					ln.Close()
				}
				t.Fatalf("Listen = %v, want ErrUnsafeDir", err)
			}
		})
	}
}

func TestListenRefusesSymlinkDir(t *testing.T) {
	base := sockDir(t)
	if err := os.Mkdir(filepath.Join(base, "real"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(base, "link")); err != nil {
		t.Fatal(err)
	}
	_, err := Listen(filepath.Join(base, "link", "credd.sock"), nil)
	if !errors.Is(err, ErrUnsafeDir) {
		t.Fatalf("Listen = %v, want ErrUnsafeDir", err)
	}
}

func TestListenReplacesStaleSocket(t *testing.T) {
	path := filepath.Join(sockDir(t), "credd.sock")

	// A crashed daemon leaves its socket file: bind one and close it without unlink.
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ul.SetUnlinkOnClose(false)
	ul.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("stale socket not left behind: %v", err)
	}

	ln, err := Listen(path, nil)
	if err != nil {
		t.Fatalf("Listen over stale socket: %v", err)
	}
	defer ln.Close()
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("new socket does not accept: %v", err)
	}
	conn.Close()
}

func TestListenDoesNotClobberLiveDaemon(t *testing.T) {
	ts := startServer(t, &fakeService{}, ServerOptions{})

	_, err := Listen(ts.path, nil)
	if !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second Listen = %v, want ErrAlreadyRunning", err)
	}
	if !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("error does not name the holder's pid: %v", err)
	}

	// The first daemon still serves.
	if _, err := ts.client.Status(context.Background()); err != nil {
		t.Fatalf("first daemon broken by second Listen: %v", err)
	}
}

// A live socket without our lock (a systemd-owned one, say) is not removed either.
func TestListenDoesNotClobberUnlockedLiveSocket(t *testing.T) {
	path := filepath.Join(sockDir(t), "credd.sock")
	other, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	_, err = Listen(path, nil)
	if !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("Listen = %v, want ErrAlreadyRunning", err)
	}
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("live socket removed: %v", err)
	}
}

func TestListenRefusesNonSocketFile(t *testing.T) {
	path := filepath.Join(sockDir(t), "credd.sock")
	if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(path, nil); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("Listen = %v, want a not-a-socket error", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep me" {
		t.Error("regular file at the socket path was touched")
	}
}

func TestDefaultSocketPath(t *testing.T) {
	t.Run("env_override", func(t *testing.T) {
		t.Setenv(EnvSocket, "/run/x/credd.sock")
		got, err := DefaultSocketPath()
		if err != nil || got != "/run/x/credd.sock" {
			t.Fatalf("got %q, %v", got, err)
		}
	})
	t.Run("xdg_runtime_dir", func(t *testing.T) {
		t.Setenv(EnvSocket, "")
		t.Setenv("XDG_RUNTIME_DIR", "/run/user/1000")
		got, err := DefaultSocketPath()
		if err != nil || got != "/run/user/1000/dbos-cloud/credd.sock" {
			t.Fatalf("got %q, %v", got, err)
		}
	})
	t.Run("fallback_creates_private_dir", func(t *testing.T) {
		tmp := sockDir(t)
		t.Setenv(EnvSocket, "")
		t.Setenv("XDG_RUNTIME_DIR", "relative/is/ignored")
		t.Setenv("TMPDIR", tmp)
		got, err := DefaultSocketPath()
		if err != nil {
			t.Fatal(err)
		}
		want := filepath.Join(tmp, "dbos-cloud-"+strconv.Itoa(os.Geteuid()), "credd.sock")
		if got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		fi, err := os.Stat(filepath.Dir(got))
		if err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("fallback dir: %v, %v", fi, err)
		}
	})
	t.Run("fallback_refuses_foreign_dir", func(t *testing.T) {
		tmp := sockDir(t)
		t.Setenv(EnvSocket, "")
		t.Setenv("XDG_RUNTIME_DIR", "")
		t.Setenv("TMPDIR", tmp)
		dir := filepath.Join(tmp, "dbos-cloud-"+strconv.Itoa(os.Geteuid()))
		if err := os.Mkdir(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		chmod(t, dir, 0o777) // as another user would leave it
		if _, err := DefaultSocketPath(); !errors.Is(err, ErrUnsafeDir) {
			t.Fatalf("got %v, want ErrUnsafeDir", err)
		}
	})
}

func TestValidAccountName(t *testing.T) {
	tests := map[string]bool{
		"default": true, "ci": true, "a": true, "Prod-1.eu_west": true, "0": true,
		strings.Repeat("a", 64): true, strings.Repeat("a", 65): false,
		"": false, ".hidden": false, "-x": false, "a/b": false, "a b": false, "..": false,
		"a%2Fb": false, "ä": false, "a\n": false,
	}
	for name, want := range tests {
		if got := ValidAccountName(name); got != want {
			t.Errorf("ValidAccountName(%q) = %v, want %v", name, got, want)
		}
	}
}

func chmod(t *testing.T, path string, mode fs.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
