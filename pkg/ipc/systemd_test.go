package ipc

import (
	"context"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestListenSystemdNotActivated(t *testing.T) {
	t.Setenv("LISTEN_FDS", "")
	t.Setenv("LISTEN_PID", "")
	ln, ok, err := ListenSystemd(nil)
	if ln != nil || ok || err != nil {
		t.Fatalf("ListenSystemd = %v, %v, %v; want nothing", ln, ok, err)
	}
}

// The test binary is started the way systemd starts a socket-activated service: the
// listening socket as fd 3 and LISTEN_FDS=1.
func TestListenSystemdActivated(t *testing.T) {
	tests := []struct {
		name    string
		mode    fs.FileMode
		refused string // substring of the helper's output when refused
	}{
		{"private_socket", 0o600, ""},
		{"loose_socket", 0o666, "SocketMode=0600"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(sockDir(t), "credd.sock")
			cmd := systemdChild(t, path, tc.mode)
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}

			if tc.refused != "" {
				err := cmd.Wait()
				if err == nil || !strings.Contains(out.String(), tc.refused) {
					t.Fatalf("helper accepted a %04o socket: %v\n%s", tc.mode, err, out.String())
				}
				return
			}

			c := NewClient(ClientOptions{Path: path})
			defer c.Close()
			st, err := c.Status(context.Background())
			_ = cmd.Process.Signal(syscall.SIGTERM)
			waitErr := cmd.Wait()
			if err != nil {
				t.Fatalf("Status via activated socket: %v\n%s", err, out.String())
			}
			if st.PID != cmd.Process.Pid {
				t.Errorf("answered by pid %d, want the activated child %d", st.PID, cmd.Process.Pid)
			}
			if waitErr != nil {
				t.Errorf("helper: %v\n%s", waitErr, out.String())
			}
		})
	}
}

// systemdChild binds path with mode and prepares the test binary to inherit it.
func systemdChild(t *testing.T, path string, mode fs.FileMode) *exec.Cmd {
	t.Helper()
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ul.SetUnlinkOnClose(false)
	chmod(t, path, mode)
	f, err := ul.File()
	if err != nil {
		t.Fatal(err)
	}
	ul.Close()
	t.Cleanup(func() { f.Close() })

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), envHelper+"=systemd", "LISTEN_FDS=1")
	cmd.ExtraFiles = []*os.File{f}
	return cmd
}
