//go:build !linux

package plugin

import (
	"os"
	"os/exec"

	"github.com/dbos-go/dbos-cloud/pkg/plugin/manifest"
)

// stampOf returns the file's size and modification time. exact is false: without
// a change time that no one can set back, a stamp proves nothing, so every launch
// hashes the binary. Without Linux's /proc/self/fd the process is also started by
// path: replacing the file between the check and the start is caught only if size or
// modification time differ.
func stampOf(fi os.FileInfo) (st manifest.Stamp, exact bool) {
	return manifest.Stamp{Size: fi.Size(), Mtime: fi.ModTime().UnixNano()}, false
}

// prepare leaves cmd starting the binary by path.
func (b *binFile) prepare(*exec.Cmd) {}
