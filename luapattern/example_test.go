package luapattern_test

import (
	"errors"
	"fmt"

	"github.com/sightline/sightline/luapattern"
)

func ExamplePattern_Match() {
	p := luapattern.MustCompile(`^(%d+)-(%d+)`)
	s := "2024-06 release"
	var m luapattern.Match
	if ok, err := p.Match(s, 0, &m, nil); ok && err == nil {
		for _, c := range m.Values() {
			fmt.Println(c.Text(s))
		}
	}
	// Output:
	// 2024
	// 06
}

func ExamplePattern_Find() {
	// string.find("hello world", "o", -5) in Lua.
	s := "hello world"
	p := luapattern.MustCompile("o")
	var m luapattern.Match
	ok, _ := p.Find(s, luapattern.StartOffset(-5, len(s)), &m, nil)
	fmt.Println(ok, m.Start+1, m.End) // Lua's indices
	// Output: true 8 8
}

func ExamplePattern_Gmatch() {
	s := "a=1, b=2"
	it := luapattern.MustCompile(`(%w+)=(%w+)`).Gmatch(s)
	for it.Next(nil) {
		caps := it.Match().Captures()
		fmt.Println(caps[0].Text(s), caps[1].Text(s))
	}
	// Output:
	// a 1
	// b 2
}

func ExamplePattern_GsubString() {
	p := luapattern.MustCompile(`(%w+) (%w+)`)
	out, n, _ := p.GsubString("hello world", "%2 %1", 100, nil)
	fmt.Println(out, n)
	// Output: world hello 1
}

func ExampleBudget() {
	p := luapattern.MustCompile("a-a-a-a-a-a-a-a-a-a-a-a-b")
	subject := "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	b := luapattern.Budget{Steps: 100000}
	_, err := p.MatchString(subject, &b)
	fmt.Println(errors.Is(err, luapattern.ErrStepBudget), b.Steps)
	// Output: true 0
}

func ExampleCompile_error() {
	_, err := luapattern.Compile("[a-z")
	fmt.Println(errors.Is(err, luapattern.ErrMissingBracket))
	fmt.Println(luapattern.LuaMessage(err))
	// Output:
	// true
	// malformed pattern (missing ']')
}
