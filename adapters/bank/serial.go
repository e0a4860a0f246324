package bank

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/tongdao/tongdao/adapters/sign"
)

// serialPrefix names the operation in a derived reqSerial, so a serial in a log says what
// it was for.
var serialPrefix = map[string]string{
	"BIND_APPLY": "BA", "BIND_SMS_RESEND": "BR", "BIND_CONFIRM": "BC", "UNBIND": "UB",
	"PAY": "PY", "REFUND": "RF", "PAYOUT": "PO",
}

// serials derives reqSerials (§9). Operations that create or change something get a
// serial that is a function of the merchant, the operation and the business number, so a
// retried call (after a timeout, a crash, a restart) carries the same serial and the bank
// replays the stored answer instead of acting twice:
//
//	BIND_APPLY       bindNo
//	BIND_SMS_RESEND  bindNo + the caller's resend count (each resend is a new request)
//	BIND_CONFIRM     bindNo + SMS code (a corrected code is a new request, not a 1003)
//	UNBIND           protocolNo
//	PAY              orderNo
//	REFUND           refundNo
//	PAYOUT           payoutNo
//
// Reads (queries, BALANCE_QUERY, BIND_QUERY, STMT_APPLY) get a fresh random serial: a
// replayed query would answer the state of its first attempt.
//
// The derivation is keyed (HMAC-SM3 under a key derived from the merchant's private key),
// so a serial in a log reveals nothing about its inputs — an SMS code has only 10^6
// values and would fall to a brute force of an unkeyed hash.
type serials struct {
	merchantID string
	key        []byte
}

func newSerials(merchantID string, priv *sign.SM2PrivateKey) serials {
	k := sign.SM3(append([]byte("tongdao bdc reqSerial\x00"), priv.Bytes()...))
	return serials{merchantID: merchantID, key: k[:]}
}

// derive returns the serial of a changing operation: 2 letters for the operation and 30
// lower-hex characters of HMAC-SM3(key, merchantId 0 txCode 0 parts joined by 0); 32
// characters in all, inside [A-Za-z0-9_-]{1,32}.
func (s serials) derive(txCode string, parts ...string) (string, error) {
	p, ok := serialPrefix[txCode]
	if !ok {
		return "", fmt.Errorf("bank reqSerial: %s is a read; use a fresh serial", txCode)
	}
	if len(parts) == 0 || parts[0] == "" {
		return "", fmt.Errorf("bank reqSerial: %s needs its business number", txCode)
	}
	msg := []byte(s.merchantID + "\x00" + txCode)
	for _, x := range parts {
		msg = append(append(msg, 0), x...)
	}
	mac := sign.HMACSM3(s.key, msg)
	return p + hex.EncodeToString(mac)[:30], nil
}

// fresh returns a random serial for reads: "Q" and 31 lower-hex characters.
func (s serials) fresh() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return "Q" + hex.EncodeToString(b[:])[:31]
}
