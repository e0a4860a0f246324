package bank

import (
	"fmt"
	"regexp"
	"strings"
)

// Card is one issuer record of the simulated bank (§14): what the bank checks the card
// elements against, and the card's balance. Shown through GET /_sim/bank/cards with the
// number, ID and mobile masked; set with POST /_sim/bank/cards.
type Card struct {
	CardNo     string `json:"card_no"`
	HolderName string `json:"holder_name"`
	IDNo       string `json:"id_no"`
	Mobile     string `json:"mobile"`
	CardType   string `json:"card_type"`        // "DC" (default) or "CC"
	BankCode   string `json:"bank_code"`        // default "BDC"
	CVN2       string `json:"cvn2,omitempty"`   // credit cards
	Expiry     string `json:"expiry,omitempty"` // credit cards, YYMM
	// Balance in fen: debited by payments, credited by refunds and payouts.
	Balance int64 `json:"balance"`
	// Status: "" (normal), "lost" or "frozen" (both answer 2002).
	Status string `json:"status,omitempty"`
	// ReturnPayouts makes payouts to this card succeed and then bounce (RETURNED) a day
	// later (Config.ReturnAfter).
	ReturnPayouts bool `json:"return_payouts,omitempty"`
}

var (
	reDigits  = regexp.MustCompile(`^[0-9]+$`)
	reMobile  = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	reYYMM    = regexp.MustCompile(`^[0-9]{2}(0[1-9]|1[0-2])$`)
	reCVN2    = regexp.MustCompile(`^[0-9]{3}$`)
	reCode    = regexp.MustCompile(`^[A-Z0-9]{2,16}$`)
	reStatusC = map[string]bool{"": true, "lost": true, "frozen": true}
)

func (c *Card) validate() error {
	switch {
	case len(c.CardNo) < 13 || len(c.CardNo) > 19 || !reDigits.MatchString(c.CardNo):
		return fmt.Errorf("bank card: field card_no: want 13 to 19 digits")
	case c.HolderName == "" || len(c.HolderName) > 90:
		return fmt.Errorf("bank card %s: field holder_name: want 1 to 30 characters", maskPAN(c.CardNo))
	case !validID(c.IDNo):
		return fmt.Errorf("bank card %s: field id_no: want an 18-character resident ID with a valid check character", maskPAN(c.CardNo))
	case !reMobile.MatchString(c.Mobile):
		return fmt.Errorf("bank card %s: field mobile: want 11 digits starting 13-19", maskPAN(c.CardNo))
	case c.Balance < 0:
		return fmt.Errorf("bank card %s: field balance: must not be negative", maskPAN(c.CardNo))
	case !reStatusC[c.Status]:
		return fmt.Errorf("bank card %s: field status %q: want \"\", lost or frozen", maskPAN(c.CardNo), c.Status)
	}
	if c.CardType == "" {
		c.CardType = "DC"
	}
	if c.BankCode == "" {
		c.BankCode = "BDC"
	}
	if !reCode.MatchString(c.BankCode) {
		return fmt.Errorf("bank card %s: field bank_code: want 2 to 16 upper-case letters or digits", maskPAN(c.CardNo))
	}
	switch c.CardType {
	case "DC":
	case "CC":
		if !reCVN2.MatchString(c.CVN2) || !reYYMM.MatchString(c.Expiry) {
			return fmt.Errorf("bank card %s: fields cvn2, expiry: a credit card needs 3 digits and YYMM", maskPAN(c.CardNo))
		}
	default:
		return fmt.Errorf("bank card %s: field card_type %q: want DC or CC", maskPAN(c.CardNo), c.CardType)
	}
	c.IDNo = strings.ToUpper(c.IDNo)
	return nil
}

// cardView is a card as the control API shows it: masked.
type cardView struct {
	CardNo        string `json:"card_no"`
	HolderName    string `json:"holder_name"`
	IDNo          string `json:"id_no"`
	Mobile        string `json:"mobile"`
	CardType      string `json:"card_type"`
	BankCode      string `json:"bank_code"`
	Balance       int64  `json:"balance"`
	Status        string `json:"status,omitempty"`
	ReturnPayouts bool   `json:"return_payouts,omitempty"`
}

func (c *Card) view() cardView {
	return cardView{CardNo: maskPAN(c.CardNo), HolderName: c.HolderName, IDNo: maskID(c.IDNo), Mobile: maskMobile(c.Mobile),
		CardType: c.CardType, BankCode: c.BankCode, Balance: c.Balance, Status: c.Status, ReturnPayouts: c.ReturnPayouts}
}

// DemoCards are the issuer records the bank starts with (§14): the §12 G1 identity
// (UnionPay's public test card data), four more Luhn-valid debit cards for scenarios and
// one credit card. The numbers are illustrative and not asserted to belong to any real
// issuer.
//
//	6216261000000000018  全渠道  debit, 100,000.00 yuan
//	6216261000000000026  张三    debit, 100,000.00 yuan
//	6216261000000000034  李四    debit, 100,000.00 yuan, payouts to it are returned a day later
//	6216261000000000042  王五    debit, 10.00 yuan (insufficient funds)
//	6216261000000000059  赵六    debit, frozen
//	6258100000000004     全渠道  credit, CVN2 123, expiry 3012, limit 50,000.00 yuan
func DemoCards() []Card {
	return []Card{
		{CardNo: "6216261000000000018", HolderName: "全渠道", IDNo: "341126197709218366", Mobile: "13552535506", Balance: 10_000_000},
		{CardNo: "6216261000000000026", HolderName: "张三", IDNo: "11010519491231002X", Mobile: "13800138000", Balance: 10_000_000},
		{CardNo: "6216261000000000034", HolderName: "李四", IDNo: "110101199003070011", Mobile: "13900139000", Balance: 10_000_000, ReturnPayouts: true},
		{CardNo: "6216261000000000042", HolderName: "王五", IDNo: "440304198510100010", Mobile: "13700137000", Balance: 1_000},
		{CardNo: "6216261000000000059", HolderName: "赵六", IDNo: "310101198001010018", Mobile: "13600136000", Balance: 10_000_000, Status: "frozen"},
		{CardNo: "6258100000000004", HolderName: "全渠道", IDNo: "341126197709218366", Mobile: "13552535506", CardType: "CC", CVN2: "123", Expiry: "3012", Balance: 5_000_000},
	}
}

// luhn reports whether s (digits) passes the Luhn check (§13).
func luhn(s string) bool {
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return len(s) > 1 && sum%10 == 0
}

// validID checks an 18-character resident ID: 17 digits, a real birth date, and the
// GB 11643 (ISO 7064 MOD 11-2) check character (§13). 'x' is accepted as 'X'.
func validID(id string) bool {
	if len(id) != 18 || !reDigits.MatchString(id[:17]) {
		return false
	}
	y, m, d := atoi(id[6:10]), atoi(id[10:12]), atoi(id[12:14])
	if y < 1900 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return false
	}
	w := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(id[i]-'0') * w[i]
	}
	want := "10X98765432"[sum%11]
	got := id[17]
	if got == 'x' {
		got = 'X'
	}
	return got == want
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// maskPAN shows first 6 + last 4 (CONVENTIONS; §5.1), never the whole number.
func maskPAN(p string) string {
	if len(p) <= 10 {
		return strings.Repeat("*", len(p))
	}
	return p[:6] + strings.Repeat("*", len(p)-10) + p[len(p)-4:]
}

func maskMobile(m string) string {
	if len(m) != 11 {
		return strings.Repeat("*", len(m))
	}
	return m[:3] + "****" + m[7:]
}

func maskID(id string) string {
	if len(id) <= 4 {
		return strings.Repeat("*", len(id))
	}
	return id[:1] + strings.Repeat("*", len(id)-2) + id[len(id)-1:]
}
