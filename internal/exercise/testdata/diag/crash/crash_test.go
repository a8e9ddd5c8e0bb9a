package crash

import "testing"

func TestFill(t *testing.T) { Fill() }
