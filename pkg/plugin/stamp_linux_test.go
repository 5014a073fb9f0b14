package plugin_test

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/plugin"
	"github.com/dbos-go/dbos-cloud/pkg/plugin/manifest"
)

// A launch that hashed the binary records its stamp once the stamp has settled; the
// next launch trusts the unchanged stamp and reads nothing, and a write to the binary
// changes the stamp, so the tampered content is hashed and refused.
func TestVerifiedStamp(t *testing.T) {
	e := newEnv(t, "echo")
	path := e.dir + "/dbos-cloud-plugin-echo"
	if _, err := e.app(t); err != nil { // describe: hashed, stamp too fresh to record
		t.Fatal(err)
	}
	if st := verifiedStamp(t, e); st != nil {
		t.Fatalf("a stamp %+v younger than the settle time was recorded", st)
	}

	plugin.SetClock(e.host, func() time.Time { return time.Now().Add(time.Minute) })
	if err := e.run(t, "echo", "say"); err != nil {
		t.Fatal(err)
	}
	st := verifiedStamp(t, e)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if sys := fi.Sys().(*syscall.Stat_t); st == nil || st.Ino != sys.Ino ||
		st.Ctime != sys.Ctim.Nano() || st.Size != fi.Size() {
		t.Fatalf("recorded stamp %+v, file %+v", st, fi.Sys())
	}

	// Trusted: a wrong checksum next to the right stamp goes unnoticed, which shows
	// that the launch did not read the file.
	m := manifest.Load(e.host.ManifestPath)
	good := m.Plugins["echo"].SHA256
	m.Plugins["echo"].SHA256 = strings.Repeat("0", 64)
	if err := m.Save(e.host.ManifestPath); err != nil {
		t.Fatal(err)
	}
	if err := e.run(t, "echo", "say"); err != nil {
		t.Fatalf("launch with a settled stamp: %v", err)
	}
	m.Plugins["echo"].SHA256 = good
	if err := m.Save(e.host.ManifestPath); err != nil {
		t.Fatal(err)
	}

	tamper(t, path, fi.ModTime())
	err = e.run(t, "echo", "say")
	if !errors.Is(err, plugin.ErrChecksumMismatch) {
		t.Fatalf("tampered binary after a recorded stamp: err = %v", err)
	}
}

func verifiedStamp(t *testing.T, e *env) *manifest.Stamp {
	t.Helper()
	en := manifest.Load(e.host.ManifestPath).Plugins["echo"]
	if en == nil {
		t.Fatal("no manifest entry for echo")
	}
	return en.Verified
}
