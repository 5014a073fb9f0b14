//go:build !linux

package plugin

import (
	"os"
	"os/exec"
	"time"
)

// fileID is what changes when a file is written to or replaced. Without Linux's
// /proc/self/fd the process is started by path: replacing the file between the check
// and the start is caught only if size or modification time differ.
type fileID struct {
	size  int64
	mtime time.Time
}

func idOf(fi os.FileInfo) fileID { return fileID{size: fi.Size(), mtime: fi.ModTime()} }

// prepare leaves cmd starting the binary by path.
func (b *binFile) prepare(*exec.Cmd) {}
