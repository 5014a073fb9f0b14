package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSpreadOf(t *testing.T) {
	tests := []struct {
		in   []float64
		want spread
	}{
		{nil, spread{}},
		{[]float64{3}, spread{3, 3, 3}},
		{[]float64{5, 1, 3}, spread{3, 1, 5}},
		{[]float64{4, 1, 3, 2}, spread{2.5, 1, 4}},
	}
	for _, tc := range tests {
		if got := spreadOf(tc.in); got != tc.want {
			t.Errorf("spreadOf(%v) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

// The -difference row is (A − B) / C round by round: org list's cost beyond profile
// against a bare plugin launch.
func TestDifferenceRatios(t *testing.T) {
	orgList, profile, bare := []float64{21, 19, 30}, []float64{5, 5, 6}, []float64{12, 14, 16}
	got := spreadOf(ratios(differences(orgList, profile), bare))
	if want := (spread{16.0 / 12, 1, 1.5}); got != want {
		t.Fatalf("ratios = %+v, want %+v", got, want)
	}
}

func TestRatiosSkipsZeroBaselines(t *testing.T) {
	got := ratios([]float64{2, 4, 6}, []float64{1, 0})
	if len(got) != 1 || got[0] != 2 {
		t.Fatalf("ratios = %v", got)
	}
}

func TestGoBenchParses(t *testing.T) {
	out := `goos: linux
pkg: github.com/dbos-go/dbos-cloud/pkg/ipc
BenchmarkTokenFetch/daemon/clients=16-2         	    1000	    200000 ns/op	  3200.0 lat-us	  5000 B/op	  60 allocs/op
BenchmarkTokenFetch/static/clients=16-2         	    1000	    100000 ns/op	  1600.0 lat-us	  4000 B/op	  50 allocs/op
PASS
`
	path := filepath.Join(t.TempDir(), "bench.txt")
	if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := goBench(path); err != nil {
		t.Fatal(err)
	}
	if m := benchLine.FindStringSubmatch("BenchmarkTokenFetch/daemon/clients=1 10 5 ns/op 1.5 lat-us"); m == nil ||
		m[2] != "1" || m[4] != "1.5" {
		t.Fatalf("no match without a GOMAXPROCS suffix: %q", m)
	}
	empty := filepath.Join(t.TempDir(), "empty.txt")
	_ = os.WriteFile(empty, []byte("PASS\n"), 0o600)
	if err := goBench(empty); err == nil {
		t.Fatal("no results accepted")
	}
}
