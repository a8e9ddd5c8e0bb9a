package kernelgen

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// registry returns the text of an integrands.go whose registry has the
// given entries.
func registry(entries ...string) []byte {
	return []byte("package integrate\n\nfunc registry() []Integrand {\n\treturn []Integrand{\n\t\t" +
		strings.Join(entries, ",\n\t\t") + ",\n\t}\n}\n")
}

func TestKernelsFollowTheRegistry(t *testing.T) {
	ks, err := Kernels(registry(`{Name: "x2", F: x2, kernel: kernelX2}`, `{Name: "sin", F: math.Sin, kernel: kernelSin}`))
	require.NoError(t, err)
	assert.Equal(t, []Kernel{{"kernelX2", "x2"}, {"kernelSin", "math.Sin"}, {"kernelFunc", "f"}}, ks,
		"a kernel per entry, in the registry's order, then the one for a func value")

	src, err := Source(registry(`{Name: "x2", F: x2, kernel: kernelX2}`))
	require.NoError(t, err)
	assert.Contains(t, string(src), "func kernelX2(a, dx, t0 float64, n int) (even, odd float64) {")
	assert.Contains(t, string(src), "\t\ts0 += x2(p0)\n", "the function is called by name, so it is inlined")
	assert.Contains(t, string(src), "func kernelFunc(f func(float64) float64, a, dx, t0 float64, n int)")
	assert.NotContains(t, string(src), `import "math"`, "no kernel calls math: the import would not compile")
}

func TestKernelsRejectARegistryTheyCannotFollow(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  []byte
		want string
	}{
		{"no registry", []byte("package integrate\n"), "no []Integrand literal in func registry"},
		{"no kernel field", registry(`{Name: "x2", F: x2}`), `registry "x2" has no kernel field (name one, such as kernelX2, and run make generate)`},
		{"no F field", registry(`{Name: "x2", kernel: kernelX2}`), `registry "x2" has no F field`},
		{"a func literal", registry(`{Name: "sq", F: func(x float64) float64 { return x * x }, kernel: kernelSq}`),
			`registry "sq": F is (func(x float64) float64 literal); write the function as a named func`},
		{"a taken name", registry(`{Name: "x2", F: x2, kernel: kernelX2}`, `{Name: "sq", F: x2, kernel: kernelX2}`),
			`registry "sq": the kernel name kernelX2 is taken`},
		{"the func-value kernel's name", registry(`{Name: "x2", F: x2, kernel: kernelFunc}`),
			`registry "x2": the kernel name kernelFunc is taken`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Kernels(tc.src)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}
