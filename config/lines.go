package config

// lineNode records where the keys of one table were written: the line of
// the key itself and, for keys holding tables, the lines of their keys.
// Both readers build one from the source text and hand it to the
// conversion of their values into Tables. It is best effort: a key the
// scan did not see has no node, and its Entry gets line 0.
type lineNode struct {
	line   int
	fields map[Key]*lineNode

	// TOML array of tables ([[name]]): the number of elements so far.
	arrayTable bool
	count      int64
}

// child returns the node of key k, or nil.
func (n *lineNode) child(k Key) *lineNode {
	if n == nil {
		return nil
	}
	return n.fields[k]
}

// lineOf returns the line recorded for key k, or 0.
func (n *lineNode) lineOf(k Key) int {
	if c := n.child(k); c != nil {
		return c.line
	}
	return 0
}

// replace records a fresh node for key k (a later Lua assignment replaces
// what an earlier one wrote). A nil n stays nil, so untracked tables cost
// nothing.
func (n *lineNode) replace(k Key, line int) *lineNode {
	if n == nil {
		return nil
	}
	c := &lineNode{line: line}
	if n.fields == nil {
		n.fields = make(map[Key]*lineNode)
	}
	n.fields[k] = c
	return c
}

// ensure returns the node of key k, creating it with the given line if it
// does not exist yet (TOML tables are extended, not replaced).
func (n *lineNode) ensure(k Key, line int) *lineNode {
	if n == nil {
		return nil
	}
	if c := n.fields[k]; c != nil {
		return c
	}
	return n.replace(k, line)
}
