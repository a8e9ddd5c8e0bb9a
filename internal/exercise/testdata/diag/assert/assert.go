package assert

// Add returns a + b, but forgets b.
func Add(a, b int) int { return a }
