package channel

import "fmt"

// Method is how the payer pays: the payment product a PayRequest asks for.
type Method string

const (
	// MethodQR: the merchant shows a QR code the payer scans (WeChat NATIVE, Alipay
	// precreate). The result carries Action.QRCode.
	MethodQR Method = "qr"
	// MethodApp: the merchant's app hands signed parameters to the wallet's app SDK
	// (WeChat APP, Alipay app.pay). The result carries Action.Params or Action.OrderString.
	MethodApp Method = "app"
	// MethodJSAPI: inside the wallet's browser or a mini program (WeChat JSAPI); the page
	// passes Action.Params to the JS bridge. Needs PayRequest.PayerID (openid).
	MethodJSAPI Method = "jsapi"
	// MethodH5: a mobile browser outside the wallet (WeChat MWEB, Alipay wap.pay). The
	// result carries Action.URL or Action.HTML.
	MethodH5 Method = "h5"
	// MethodWeb: a desktop web page (Alipay page.pay, UnionPay front transaction). The
	// result carries Action.URL or Action.HTML.
	MethodWeb Method = "web"
	// MethodBarcode: the merchant scans the payer's payment code (WeChat micropay, Alipay
	// trade.pay). Needs PayRequest.AuthCode. Often answers Processing (payer entering a
	// password): query until final.
	MethodBarcode Method = "barcode"
	// MethodToken: quick pay with a bound card's token or agreement number (UnionPay token
	// consume, bank agreement pay). Needs PayRequest.Token.
	MethodToken Method = "token"
)

// Methods lists every method in a stable order.
func Methods() []Method {
	return []Method{MethodQR, MethodApp, MethodJSAPI, MethodH5, MethodWeb, MethodBarcode, MethodToken}
}

// Valid reports whether m is one of the defined methods.
func (m Method) Valid() bool {
	for _, k := range Methods() {
		if m == k {
			return true
		}
	}
	return false
}

// Supports reports whether ch lists m among its methods.
func Supports(ch Channel, m Method) bool {
	for _, k := range ch.Methods() {
		if k == m {
			return true
		}
	}
	return false
}

// Unsupported returns the error an adapter gives for a method or operation it cannot do:
// KindInvalidRequest, not retry-safe, naming the channel and what was asked. errors.Is(err,
// ErrUnsupported) and errors.Is(err, ErrInvalidRequest) both hold.
func Unsupported(channelName, op string, m Method) *Error {
	what := op
	if m != "" {
		what = fmt.Sprintf("%s with method %q", op, m)
	}
	return &Error{
		Channel: channelName,
		Op:      op,
		Kind:    KindInvalidRequest,
		Code:    "UNSUPPORTED",
		Message: fmt.Sprintf("channel %s does not support %s", channelName, what),
		Err:     ErrUnsupported,
	}
}
