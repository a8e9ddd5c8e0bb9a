//go:build ignore

// gen_kernels writes kernels.go: one block kernel per integrand in the
// registry of integrands.go, each with the integrand's function called by
// name in the loop so that the compiler inlines it. The registry is the
// one list: each entry's F is the function and its kernel field the
// kernel's name. `make generate` (or `go generate ./integrate`) runs it,
// from this directory; TestKernelsAreCurrent fails when kernels.go is not
// what it would write.
package main

import (
	"log"
	"os"

	"github.com/concurrency-workbook/workbook/integrate/internal/kernelgen"
)

func main() {
	src, err := os.ReadFile("integrands.go")
	if err != nil {
		log.Fatal(err)
	}
	out, err := kernelgen.Source(src)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("kernels.go", out, 0o644); err != nil {
		log.Fatal(err)
	}
}
