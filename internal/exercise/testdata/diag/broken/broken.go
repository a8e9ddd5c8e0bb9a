package broken

// Add does not compile.
func Add(a, b int) int {
	x := 1
	return a + c
}
