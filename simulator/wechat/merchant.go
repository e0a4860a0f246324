package wechat

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Demo merchant of WeChat's own documentation (§3.3). It is registered by default so
// that an SDK pointed at the simulator works with the documented example credentials.
const (
	DemoAppID = "wxd930ea5d5a258f4f"
	DemoMchID = "10000100"
	DemoKey   = "192006250b4c09247ec02edce69f6a2d"
)

// DefaultFeeRate is the fee rate shown in bills when a merchant configures none: the
// common 0.6% rate for ordinary merchants.
const DefaultFeeRate = "0.60%"

// Merchant is one WeChat Pay v2 direct merchant as the simulated channel knows it. It is
// also the JSON body accepted by the control API for channel "wechat".
type Merchant struct {
	// MchID is the merchant number (mch_id), unique among merchants.
	MchID string `json:"mch_id"`
	// AppIDs are the appids bound to the merchant; any of them may be used in a request
	// (§9.2). At least one is required.
	AppIDs []string `json:"appids"`
	// Key is the 32-character API key (API密钥) that signs requests and responses and
	// encrypts refund notifications (§3, §10).
	Key string `json:"key"`
	// FeeRate is the rate shown in the bill's 费率 column and used for its 手续费 column,
	// as a percentage like "0.60%" or "0.38%" (at most 4 decimals). Empty means
	// DefaultFeeRate.
	FeeRate string `json:"fee_rate,omitempty"`
	// LegacyBill selects the 24-column bill format of merchants without the settlement
	// upgrade (§9.4); the default is the current 27-column format.
	LegacyBill bool `json:"legacy_bill,omitempty"`
	// RefundNotifyURL is the refund-notification URL configured in the merchant
	// platform, used when a refund request carries no notify_url (§10). Empty means no
	// refund notification unless the request names one.
	RefundNotifyURL string `json:"refund_notify_url,omitempty"`

	feePPM int64 // FeeRate in parts per million
}

// DemoMerchant returns the documented example merchant (§3.3).
func DemoMerchant() Merchant {
	return Merchant{MchID: DemoMchID, AppIDs: []string{DemoAppID}, Key: DemoKey}
}

// validate checks the merchant and fills derived fields.
func (m *Merchant) validate() error {
	if m.MchID == "" || len(m.MchID) > 32 {
		return fmt.Errorf("wechat merchant: field mch_id %q: must be 1-32 chars", m.MchID)
	}
	if len(m.AppIDs) == 0 {
		return fmt.Errorf("wechat merchant %s: field appids: at least one appid required", m.MchID)
	}
	for _, a := range m.AppIDs {
		if a == "" || len(a) > 32 {
			return fmt.Errorf("wechat merchant %s: field appids: bad appid %q", m.MchID, a)
		}
	}
	if len(m.Key) != 32 {
		return fmt.Errorf("wechat merchant %s: field key: must be 32 chars, got %d", m.MchID, len(m.Key))
	}
	if m.RefundNotifyURL != "" && !validNotifyURL(m.RefundNotifyURL) {
		return fmt.Errorf("wechat merchant %s: field refund_notify_url %q: want an absolute http(s) URL without a query", m.MchID, m.RefundNotifyURL)
	}
	rate := m.FeeRate
	if rate == "" {
		rate = DefaultFeeRate
	}
	ppm, err := parsePercentPPM(rate)
	if err != nil {
		return fmt.Errorf("wechat merchant %s: field fee_rate: %w", m.MchID, err)
	}
	m.feePPM = ppm
	return nil
}

func (m *Merchant) hasAppID(appid string) bool {
	for _, a := range m.AppIDs {
		if a == appid {
			return true
		}
	}
	return false
}

// ParseMerchant decodes and validates a merchant from the control API's JSON body.
func ParseMerchant(raw json.RawMessage) (Merchant, error) {
	var m Merchant
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Merchant{}, fmt.Errorf("wechat merchant: %w", err)
	}
	if err := m.validate(); err != nil {
		return Merchant{}, err
	}
	return m, nil
}

var errRate = errors.New("want a percentage like 0.60%")

// parsePercentPPM parses "0.60%" into parts per million (6000), exactly, with at most
// four decimals of a percent. No float is involved.
func parsePercentPPM(s string) (int64, error) {
	t, ok := strings.CutSuffix(s, "%")
	if !ok || t == "" {
		return 0, fmt.Errorf("%q: %w", s, errRate)
	}
	intPart, frac, _ := strings.Cut(t, ".")
	if intPart == "" || len(intPart) > 3 || !allDigits(intPart) || len(frac) > 4 || (frac != "" && !allDigits(frac)) {
		return 0, fmt.Errorf("%q: %w", s, errRate)
	}
	var v int64
	for _, c := range intPart {
		v = v*10 + int64(c-'0')
	}
	frac += strings.Repeat("0", 4-len(frac))
	for _, c := range frac {
		v = v*10 + int64(c-'0')
	}
	if v > 1000000 {
		return 0, fmt.Errorf("%q: above 100%%: %w", s, errRate)
	}
	return v, nil
}

// formatPercentPPM formats parts per million as WeChat's rate text: at least two
// decimals, more only when needed ("0.60%", "0.38%", "0.255%").
func formatPercentPPM(ppm int64) string {
	ip := ppm / 10000
	frac := fmt.Sprintf("%04d", ppm%10000)
	for len(frac) > 2 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	return fmt.Sprintf("%d.%s%%", ip, frac)
}
