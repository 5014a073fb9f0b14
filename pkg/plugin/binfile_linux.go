package plugin

import (
	"os"
	"os/exec"
	"syscall"
)

// fileID is what changes when a file is written to or replaced: its inode and change
// time (which, unlike the modification time, no one but root can set back).
type fileID struct {
	dev, ino uint64
	size     int64
	ctime    syscall.Timespec
}

func idOf(fi os.FileInfo) fileID {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{size: fi.Size()}
	}
	return fileID{dev: st.Dev, ino: st.Ino, size: st.Size, ctime: st.Ctim}
}

// prepare makes cmd execute the open, checked file: it becomes the child's fd 3, and
// the kernel executes /proc/self/fd/3. argv[0] stays the binary's path.
func (b *binFile) prepare(cmd *exec.Cmd) {
	cmd.ExtraFiles = []*os.File{b.f}
	cmd.Path = "/proc/self/fd/3"
}
