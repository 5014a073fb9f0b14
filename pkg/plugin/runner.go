package plugin

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
)

// procRunner starts a plugin binary for go-plugin. go-plugin's own command runner is
// internal to it; this one exists so that the host chooses the process's environment,
// standard input and parent-death signal, while go-plugin still creates the private
// socket directory (UnixSocketConfig) that only a RunnerFunc gets.
type procRunner struct {
	cmd            *exec.Cmd
	stdout, stderr io.ReadCloser
	pid            int
	bin            *binFile // the checked binary; nil in tests that start anything
}

func newProcRunner(cmd *exec.Cmd) (*procRunner, error) {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	return &procRunner{cmd: cmd, stdout: stdout, stderr: stderr}, nil
}

func (r *procRunner) Start(context.Context) error {
	err := r.cmd.Start()
	if err != nil {
		if r.bin != nil {
			_ = r.bin.f.Close()
		}
		return err
	}
	r.pid = r.cmd.Process.Pid
	if r.bin != nil {
		if err := r.bin.started(); err != nil {
			_ = r.cmd.Process.Kill()
			_ = r.cmd.Wait()
			return err
		}
	}
	return nil
}

func (r *procRunner) Wait(context.Context) error { return r.cmd.Wait() }

func (r *procRunner) Kill(context.Context) error {
	if r.cmd.Process == nil {
		return nil
	}
	if err := r.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

func (r *procRunner) Stdout() io.ReadCloser { return r.stdout }
func (r *procRunner) Stderr() io.ReadCloser { return r.stderr }
func (r *procRunner) Name() string          { return r.cmd.Args[0] }
func (r *procRunner) Diagnose(context.Context) string {
	return "the program is not a dbos-cloud plugin, or was built for another protocol version"
}

func (r *procRunner) ID() string {
	if r.pid == 0 {
		return ""
	}
	return strconv.Itoa(r.pid)
}

func (r *procRunner) PluginToHost(n, a string) (string, string, error) { return n, a, nil }
func (r *procRunner) HostToPlugin(n, a string) (string, string, error) { return n, a, nil }
