package simulator

// CardKind says whether a card is a debit or a credit card.
type CardKind string

// Card kinds.
const (
	CardDebit  CardKind = "DEBIT"
	CardCredit CardKind = "CREDIT"
)

// CardBank is what the simulator's BIN table knows about a card number: the issuing bank's
// code, as WeChat writes it in bank_type ("CMB", "ICBC"...), and the card kind. Channels
// never put a card number in a notification, an answer or a statement: they name the bank
// and the kind (WeChat bank_type "CMB_DEBIT", Alipay fund_channel "DEBIT_CARD").
type CardBank struct {
	Bank string
	Kind CardKind
}

// WeChatBankType is the card's WeChat bank_type: bank code, underscore, kind
// ("CMB_DEBIT"); "OTHERS" when the bank is unknown.
func (c CardBank) WeChatBankType() string {
	if c.Bank == "" {
		return "OTHERS"
	}
	return c.Bank + "_" + string(c.Kind)
}

// AlipayFundChannel is the card's Alipay fund channel: DEBIT_CARD or CREDIT_CARD, or
// BANKCARD when the kind is unknown.
func (c CardBank) AlipayFundChannel() string {
	switch c.Kind {
	case CardDebit:
		return "DEBIT_CARD"
	case CardCredit:
		return "CREDIT_CARD"
	}
	return "BANKCARD"
}

// binTable is a small built-in BIN (issuer identification number) table: enough for the
// payer to pay with a realistic card in tests and demos. Unknown BINs map to an unknown
// bank. TODO: move to the core card package (BIN table) once it exists; the simulator may
// not import it (DESIGN.md dependency rule), so it will need a copy or a shared leaf.
var binTable = map[string]CardBank{
	"622202": {"ICBC", CardDebit}, // 工商银行 牡丹灵通卡
	"622848": {"ABC", CardDebit},  // 农业银行 金穗借记卡
	"621700": {"CCB", CardDebit},  // 建设银行 龙卡储蓄卡
	"621661": {"BOC", CardDebit},  // 中国银行 借记卡
	"622260": {"COMM", CardDebit}, // 交通银行 太平洋借记卡
	"622588": {"CMB", CardDebit},  // 招商银行 一卡通
	"621483": {"CMB", CardDebit},  // 招商银行 一卡通
	"621626": {"SPA", CardDebit},  // 平安银行 借记卡
	"439225": {"CMB", CardCredit}, // 招商银行 VISA 信用卡
}

// IsCardNumber reports whether s looks like a card number (a PAN): 12 to 19 digits.
// Bank and fund-channel codes never do.
func IsCardNumber(s string) bool {
	if len(s) < 12 || len(s) > 19 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// LookupCard maps a card number to its bank through the built-in BIN table (first six
// digits). An unknown BIN gives a CardBank with no bank and no kind.
func LookupCard(pan string) CardBank {
	if len(pan) < 6 {
		return CardBank{}
	}
	return binTable[pan[:6]]
}

// MaskCard hides a card number: when s holds 12 or more digits (separators such as
// spaces or dashes allowed), every digit but the first 6 and the last 4 becomes '*'
// ("622202*********0123"). Anything else is returned as it is.
func MaskCard(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	if n < 12 {
		return s
	}
	b := []byte(s)
	k := 0
	for i := range b {
		if b[i] >= '0' && b[i] <= '9' {
			if k >= 6 && k < n-4 {
				b[i] = '*'
			}
			k++
		}
	}
	return string(b)
}

// IsCode reports whether s is a channel code such as a WeChat bank_type ("CMB_DEBIT",
// "OTHERS") or an Alipay fund channel ("ALIPAYACCOUNT"): an upper-case letter, then up to
// 31 upper-case letters, digits or underscores.
func IsCode(s string) bool {
	if len(s) < 2 || len(s) > 32 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
