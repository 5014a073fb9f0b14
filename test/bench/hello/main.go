// Command hello prints a greeting: the cheapest Go program to exec, the baseline of
// the CLI start-up figures in the benchmark report.
package main

import "fmt"

func main() { fmt.Println("hello") }
