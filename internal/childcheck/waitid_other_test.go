//go:build !linux

package childcheck

import "errors"

func waitExitedNoReap(int) error { return errors.ErrUnsupported }
