package bank

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator/demo"
)

// Demo merchant (TEST KEYS ONLY, simulator/demo): its SM2 signing key is
// demo.BankMerchantPrivate; it verifies answers with demo.BankSignPublic and wraps session
// keys with demo.BankEncPublic.
const (
	DemoMerchantID = "M0000001"
	DemoCertSerial = "68759663125" // the merchant's signing certSerial (§12 G1)
	// BankCertSerial is the certSerial of the simulated bank's signing key in answers and
	// notifications (§12 G2).
	BankCertSerial = "90000000001"
)

// Profile is a merchant's wire variant (§5.4). The zero value is the default protocol:
// SM2 user ID 1234567812345678, DER signatures, base64, encKey in C1C3C2 with 04, SM4-CBC
// with the IV prefixed, expiry YYMM, times yyyyMMddHHmmss.
type Profile struct {
	SM2ID        string `json:"sm2_id,omitempty"`        // default "1234567812345678"
	Signature    string `json:"signature,omitempty"`     // "der" (default) or "raw"
	Text         string `json:"text,omitempty"`          // "base64" (default), "hex-lower" or "hex-upper"
	SM2Layout    string `json:"sm2_layout,omitempty"`    // "c1c3c2" (default), "c1c2c3" or "asn1"
	SM2No04      bool   `json:"sm2_no_04,omitempty"`     // raw layouts without the leading 04 byte
	SM4Mode      string `json:"sm4_mode,omitempty"`      // "cbc-iv-prefixed" (default), "cbc-fixed-iv" or "ecb"
	SM4FixedIV   string `json:"sm4_fixed_iv,omitempty"`  // 32 hex chars, for cbc-fixed-iv
	ExpiryFormat string `json:"expiry_format,omitempty"` // "YYMM" (default) or "MMYY"
	TimeFormat   string `json:"time_format,omitempty"`   // "yyyyMMddHHmmss" (default) or "yyyy-MM-dd HH:mm:ss"
}

// profile is a validated Profile.
type profile struct {
	uid     []byte
	sig     sign.SM2SigEncoding
	text    sign.TextEncoding
	env     sign.EnvelopeOptions
	mmyy    bool
	timeFmt string // Go layout
}

const (
	timeCompact = "20060102150405"
	timeDashed  = "2006-01-02 15:04:05"
)

func (p Profile) compile() (profile, error) {
	out := profile{uid: []byte(sign.DefaultSM2UID), timeFmt: timeCompact}
	if p.SM2ID != "" {
		if len(p.SM2ID) > 64 {
			return profile{}, fmt.Errorf("field profile.sm2_id: longer than 64 bytes")
		}
		out.uid = []byte(p.SM2ID)
	}
	switch p.Signature {
	case "", "der":
	case "raw":
		out.sig = sign.SM2SigRaw
	default:
		return profile{}, fmt.Errorf("field profile.signature %q: want der or raw", p.Signature)
	}
	switch p.Text {
	case "", "base64":
	case "hex-lower":
		out.text = sign.TextHexLower
	case "hex-upper":
		out.text = sign.TextHexUpper
	default:
		return profile{}, fmt.Errorf("field profile.text %q: want base64, hex-lower or hex-upper", p.Text)
	}
	out.env.Text = out.text
	switch p.SM2Layout {
	case "", "c1c3c2":
	case "c1c2c3":
		out.env.KeyWrap.Layout = sign.SM2C1C2C3
	case "asn1":
		out.env.KeyWrap.Layout = sign.SM2ASN1
	default:
		return profile{}, fmt.Errorf("field profile.sm2_layout %q: want c1c3c2, c1c2c3 or asn1", p.SM2Layout)
	}
	out.env.KeyWrap.No04 = p.SM2No04
	switch p.SM4Mode {
	case "", "cbc-iv-prefixed":
	case "cbc-fixed-iv":
		iv, err := hex.DecodeString(p.SM4FixedIV)
		if err != nil || len(iv) != 16 {
			return profile{}, fmt.Errorf("field profile.sm4_fixed_iv: want 32 hex characters")
		}
		out.env.Mode, out.env.FixedIV = sign.SM4CBCFixedIV, iv
	case "ecb":
		out.env.Mode = sign.SM4ECB
	default:
		return profile{}, fmt.Errorf("field profile.sm4_mode %q: want cbc-iv-prefixed, cbc-fixed-iv or ecb", p.SM4Mode)
	}
	switch p.ExpiryFormat {
	case "", "YYMM":
	case "MMYY":
		out.mmyy = true
	default:
		return profile{}, fmt.Errorf("field profile.expiry_format %q: want YYMM or MMYY", p.ExpiryFormat)
	}
	switch p.TimeFormat {
	case "", "yyyyMMddHHmmss":
	case "yyyy-MM-dd HH:mm:ss":
		out.timeFmt = timeDashed
	default:
		return profile{}, fmt.Errorf("field profile.time_format %q: want yyyyMMddHHmmss or yyyy-MM-dd HH:mm:ss", p.TimeFormat)
	}
	return out, nil
}

// Merchant is one merchant of the simulated bank, as given to Config.Merchants or
// POST /_sim/merchants ({"channel":"bank", ...}).
type Merchant struct {
	// MerchantID is the bank-issued merchant number, [A-Za-z0-9]{1,32}.
	MerchantID string `json:"merchant_id"`
	// CertSerial identifies the merchant's signing key in requests, [0-9A-Za-z]{1,40}.
	CertSerial string `json:"cert_serial"`
	// PublicKey is the merchant's SM2 public key (SPKI PEM, or hex 04‖X‖Y): verifies
	// requests.
	PublicKey string `json:"public_key"`
	// Profile is the merchant's wire variant (§5.4); the zero value is the default.
	Profile Profile `json:"profile,omitzero"`
	// FeeRate is the fee on payments as a decimal fraction ("0.003" = 0.3%), rounded
	// half up to fen per transaction; "" = no fee.
	FeeRate string `json:"fee_rate,omitempty"`
	// PayoutBalance is the payout account's opening available balance in fen.
	PayoutBalance int64 `json:"payout_balance"`
	// NoLuhn turns the bank's Luhn check of card numbers off (real test environments do
	// not always enforce it).
	NoLuhn bool `json:"no_luhn,omitempty"`
	// Operations, when not empty, are the only txCodes enabled (others answer 1006).
	Operations []string `json:"operations,omitempty"`
	// Disabled merchants answer 1006 to everything.
	Disabled bool `json:"disabled,omitempty"`
}

var (
	reMerchantID = regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`)
	reCertSerial = regexp.MustCompile(`^[0-9A-Za-z]{1,40}$`)
)

// merchantCfg is a validated merchant.
type merchantCfg struct {
	Merchant
	pub  *sign.SM2PublicKey
	prof profile
	fee  *money.Fee
	ops  map[string]bool
}

func (m Merchant) compile() (*merchantCfg, error) {
	if !reMerchantID.MatchString(m.MerchantID) {
		return nil, fmt.Errorf("bank merchant: field merchant_id %q: want 1 to 32 letters or digits", m.MerchantID)
	}
	if !reCertSerial.MatchString(m.CertSerial) {
		return nil, fmt.Errorf("bank merchant %s: field cert_serial %q: want 1 to 40 letters or digits", m.MerchantID, m.CertSerial)
	}
	pub, err := sign.ParseSM2PublicKey([]byte(strings.TrimSpace(m.PublicKey)))
	if err != nil {
		return nil, fmt.Errorf("bank merchant %s: field public_key: %v", m.MerchantID, err)
	}
	prof, err := m.Profile.compile()
	if err != nil {
		return nil, fmt.Errorf("bank merchant %s: %v", m.MerchantID, err)
	}
	c := &merchantCfg{Merchant: m, pub: pub, prof: prof}
	c.Operations = append([]string(nil), m.Operations...)
	if m.FeeRate != "" {
		r, err := money.ParseRate(m.FeeRate)
		if err != nil || r.GreaterThanOrEqual(decimal.NewFromInt(1)) {
			return nil, fmt.Errorf("bank merchant %s: field fee_rate %q: want a fraction in [0, 1)", m.MerchantID, m.FeeRate)
		}
		c.fee = &money.Fee{Rate: r, Rounding: money.HalfUp}
	}
	if m.PayoutBalance < 0 {
		return nil, fmt.Errorf("bank merchant %s: field payout_balance: must not be negative", m.MerchantID)
	}
	if len(m.Operations) > 0 {
		c.ops = map[string]bool{}
		for _, op := range m.Operations {
			if !knownTxCode(op) {
				return nil, fmt.Errorf("bank merchant %s: field operations: unknown txCode %q", m.MerchantID, op)
			}
			c.ops[op] = true
		}
	}
	return c, nil
}

// feeOf is the merchant's fee on a payment of a (0 without a fee rate).
func (m *merchantCfg) feeOf(a money.Amount) money.Amount {
	if m.fee == nil {
		return money.Fen(0)
	}
	f, err := m.fee.Apply(a)
	if err != nil {
		return money.Fen(0)
	}
	return f
}

// DemoMerchant is the demo merchant M0000001 with the demo key, 0.3% fee and a payout
// balance of 1,000,000.00 yuan.
func DemoMerchant() Merchant {
	return Merchant{
		MerchantID: DemoMerchantID, CertSerial: DemoCertSerial,
		PublicKey: string(demo.MustFile(demo.BankMerchantPublic)),
		FeeRate:   "0.003", PayoutBalance: 100_000_000,
	}
}

// parseMerchant reads the control API's JSON strictly ("channel" ignored).
func parseMerchant(raw []byte) (Merchant, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		return Merchant{}, fmt.Errorf("bank merchant: %v", err)
	}
	delete(probe, "channel")
	clean, _ := json.Marshal(probe)
	dec := json.NewDecoder(strings.NewReader(string(clean)))
	dec.DisallowUnknownFields()
	var m Merchant
	if err := dec.Decode(&m); err != nil {
		return Merchant{}, fmt.Errorf("bank merchant: %v", err)
	}
	return m, nil
}
