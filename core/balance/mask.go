package balance

import "strings"

// MaskName hides a person's or company's name for display: one character is hidden
// whole, two keep the last ("张三" → "*三"), three or more keep the first and the last
// ("张三丰" → "张*丰", "欧阳娜娜" → "欧**娜"). It counts characters (runes), not bytes, and
// keeps the length so that two masked names can still be told apart by it.
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	switch n := len(r); {
	case n == 0:
		return ""
	case n == 1:
		return "*"
	case n == 2:
		return "*" + string(r[1])
	default:
		return string(r[0]) + strings.Repeat("*", n-2) + string(r[n-1])
	}
}
