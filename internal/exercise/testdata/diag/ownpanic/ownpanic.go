package ownpanic

// Transfer panics with a message that starts as synctest's do: a package
// named deadlock prefixes its panics with "deadlock: ".
func Transfer(fromID, toID int) {
	if fromID == toID {
		panic("deadlock: two accounts with id 7")
	}
}
