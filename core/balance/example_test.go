package balance_test

import (
	"fmt"

	"github.com/tongdao/tongdao/core/balance"
)

func ExampleMaskName() {
	for _, n := range []string{"张三", "张三丰", "欧阳娜娜"} {
		fmt.Println(balance.MaskName(n))
	}
	// Output:
	// *三
	// 张*丰
	// 欧**娜
}
