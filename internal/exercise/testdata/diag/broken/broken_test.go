package broken

import "testing"

func TestAdd(t *testing.T) { _ = Add(1, 2) }
