package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// benchLine matches a sub-benchmark of BenchmarkTokenFetch: side, clients, ns/op and
// the lat-us metric.
var benchLine = regexp.MustCompile(
	`^BenchmarkTokenFetch/(daemon|static)/clients=(\d+)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op.*?\s([\d.]+) lat-us`)

// series holds one package's figures for one client count, in round order.
type series struct {
	pkg                  string
	clients              int
	daemonNs, staticNs   []float64
	daemonLat, staticLat []float64
}

// goBench reads go test -bench output and prints the daemon-vs-static rows: the
// latency ratio (target ≤ 1.3) and the throughput ratio (target ≥ 0.75).
func goBench(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open bench output: %w", err)
	}
	defer f.Close()

	var order []*series
	by := map[string]*series{}
	pkg := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(p, "github.com/dbos-go/dbos-cloud/")
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		ns, _ := strconv.ParseFloat(m[3], 64)
		lat, _ := strconv.ParseFloat(m[4], 64)
		key := fmt.Sprintf("%s/%d", pkg, n)
		s := by[key]
		if s == nil {
			s = &series{pkg: pkg, clients: n}
			by[key] = s
			order = append(order, s)
		}
		if m[1] == "daemon" {
			s.daemonNs, s.daemonLat = append(s.daemonNs, ns), append(s.daemonLat, lat)
		} else {
			s.staticNs, s.staticLat = append(s.staticNs, ns), append(s.staticLat, lat)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read bench output: %w", err)
	}
	if len(order) == 0 {
		return fmt.Errorf("no BenchmarkTokenFetch results in %s", path)
	}
	for _, s := range order {
		what := fmt.Sprintf("token fetch latency, %d client(s) (%s)", s.clients, s.pkg)
		row(what, spreadOf(s.daemonLat).format("µs", 1), spreadOf(s.staticLat).format("µs", 1)+" static",
			spreadOf(ratios(s.daemonLat, s.staticLat)))
		tput := func(ns []float64) []float64 {
			out := make([]float64, len(ns))
			for i, v := range ns {
				out[i] = 1e9 / v
			}
			return out
		}
		what = fmt.Sprintf("token fetch throughput, %d client(s) (%s)", s.clients, s.pkg)
		row(what, spreadOf(tput(s.daemonNs)).format("req/s", 0), spreadOf(tput(s.staticNs)).format("req/s", 0)+" static",
			spreadOf(ratios(tput(s.daemonNs), tput(s.staticNs))))
	}
	return nil
}
