package plugin

import (
	"os"
	"os/exec"
	"syscall"

	"github.com/dbos-go/dbos-cloud/pkg/plugin/manifest"
)

// stampOf returns what identifies this version of the file: its inode, size, and
// modification and change times. exact is true: Linux gives change times.
func stampOf(fi os.FileInfo) (st manifest.Stamp, exact bool) {
	sys, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return manifest.Stamp{Size: fi.Size(), Mtime: fi.ModTime().UnixNano()}, false
	}
	return manifest.Stamp{
		Dev: sys.Dev, Ino: sys.Ino, Size: sys.Size,
		Mtime: sys.Mtim.Nano(), Ctime: sys.Ctim.Nano(),
	}, true
}

// prepare makes cmd execute the open, checked file: it becomes the child's fd 3, and
// the kernel executes /proc/self/fd/3. argv[0] stays the binary's path.
func (b *binFile) prepare(cmd *exec.Cmd) {
	cmd.ExtraFiles = []*os.File{b.f}
	cmd.Path = "/proc/self/fd/3"
}
