package main

import (
	"fmt"
	"slices"
)

// spread is a median with its range.
type spread struct{ med, min, max float64 }

func spreadOf(xs []float64) spread {
	if len(xs) == 0 {
		return spread{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return spread{med, s[0], s[len(s)-1]}
}

func (s spread) format(unit string, prec int) string {
	return fmt.Sprintf("%.*f %s (%.*f–%.*f)", prec, s.med, unit, prec, s.min, prec, s.max)
}

// row prints one Markdown table row.
func row(what, subject, baseline string, ratio spread) {
	fmt.Printf("| %s | %s | %s | %.2f× (%.2f–%.2f) |\n", what, subject, baseline,
		ratio.med, ratio.min, ratio.max)
}

func ratios(a, b []float64) []float64 {
	out := make([]float64, 0, len(a))
	for i := range min(len(a), len(b)) {
		if b[i] > 0 {
			out = append(out, a[i]/b[i])
		}
	}
	return out
}
