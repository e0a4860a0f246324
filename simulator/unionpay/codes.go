package unionpay

import "github.com/tongdao/tongdao/simulator"

// respMsgs are the messages the simulator gives with each respCode (unionpay.md §7; the
// bracketed 7-digit internal code is the simulator's own).
var respMsgs = map[string]string{
	"00": "成功[0000000]",
	"01": "交易失败。详情请咨询95516[1000001]",
	"02": "系统未开放或暂时关闭，请稍后再试[1000002]",
	"03": "交易通讯超时，请发起查询交易[1000003]",
	"04": "交易状态未明，请查询对账结果[1000004]",
	"05": "交易已受理，请稍后查询交易结果[1000005]",
	"06": "系统繁忙，请稍后再试[1000006]",
	"10": "报文格式错误[1000010]",
	"11": "验证签名失败[1000011]",
	"12": "重复交易[1000012]",
	"13": "报文交易要素缺失[1000013]",
	"30": "交易未通过，请尝试使用其他银联卡支付或联系95516[1000030]",
	"31": "商户状态不正确[1000031]",
	"32": "无此交易权限[1000032]",
	"33": "交易金额超限[1000033]",
	"34": "查询的交易不存在[1000034]",
	"35": "原交易不存在或状态不正确[1000035]",
	"36": "与原交易信息不符[1000036]",
	"37": "已超过最大查询次数或操作过于频繁[1000037]",
	"38": "风险受限[1000038]",
	"42": "扣款成功但交易超过规定支付时间[1000042]",
	"45": "原交易已被成功退货或已被成功撤销[1000045]",
	"64": "余额不足[1000064]",
	"65": "输入的密码、有效期或CVN2有误[1000065]",
	"66": "身份信息或手机号输入不正确[1000066]",
	"71": "动态口令或短信验证码校验失败[1000071]",
	"80": "标记已过期[1000080]",
	"89": "无此标记或标记无效[3900002]",
	"98": "文件不存在[1000098]",
	"99": "通用错误[1000099]",
}

func msgOf(code string) string {
	if m, ok := respMsgs[code]; ok {
		return m
	}
	return "交易失败[1000099]"
}

// faultCode turns a business_code fault plan into a respCode: the generic codes map to
// UnionPay's, a two-character code is used as it is.
func faultCode(bf simulator.BusinessFault) (code, msg string) {
	code = map[string]string{
		simulator.CodeSystemError: "03", simulator.CodeUserPaying: "05", simulator.CodeOrderPaid: "12",
		simulator.CodeOrderClosed: "35", simulator.CodeNotFound: "34", simulator.CodeInsufficientFunds: "64",
		simulator.CodeDeclined: "30", simulator.CodeRateLimited: "37", simulator.CodeInvalidRequest: "10",
	}[bf.Code]
	if code == "" {
		code = bf.Code
	}
	msg = bf.Message
	if msg == "" {
		msg = msgOf(code)
	}
	return code, msg
}
