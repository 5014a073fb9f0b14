// Package bench holds the programs scripts/bench-report.sh builds and runs: hello (a
// Go hello-world, the floor of any exec), barehost (a bare go-plugin launch of one
// plugin, the floor of any plugin command) and benchreport (the measuring and
// tabulating helper). Nothing here is imported by the product.
package bench
