package gateway_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"strconv"
	"testing"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// TestAuth_RSA2AndSM2 signs requests with the two public-key algorithms: a good signature
// is accepted, a signature over another body and one by another key are refused.
func TestAuth_RSA2AndSM2(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	rsaPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	sm2Key, err := sign.GenerateSM2Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sm2PEM, err := sm2Key.Public().MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := sign.GenerateSM2Key(rand.Reader)
	e := newEnv(t, storetest.SQLiteDSN(t), func(c *gateway.Config) {
		c.Merchants = append(c.Merchants, gateway.Merchant{ID: "MR", RSAPublicKeyPEM: rsaPEM}, gateway.Merchant{ID: "MS", SM2PublicKeyPEM: string(sm2PEM)})
	})
	n := 0
	send := func(merchant string, signer func([]byte) string, body []byte, signed []byte) int {
		n++
		ts := strconv.FormatInt(e.sim.Clock().Now().Unix(), 10)
		nonce := "auth-nonce-" + strconv.Itoa(n)
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/payments", bytes.NewReader(body))
		req.Header.Set(gateway.HeaderMerchant, merchant)
		req.Header.Set(gateway.HeaderTimestamp, ts)
		req.Header.Set(gateway.HeaderNonce, nonce)
		req.Header.Set(gateway.HeaderSignature, signer(gateway.StringToSign(http.MethodPost, "/v1/payments", ts, nonce, signed)))
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	rsaSign := func(msg []byte) string {
		h := sha256.Sum256(msg)
		s, _ := rsa.SignPKCS1v15(rand.Reader, rsaKey, crypto.SHA256, h[:])
		return gateway.AlgRSA2 + " " + base64.StdEncoding.EncodeToString(s)
	}
	sm2Sign := func(k *sign.SM2PrivateKey) func([]byte) string {
		return func(msg []byte) string {
			s, err := sign.SignSM2(k, msg, sign.SM2SignOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return gateway.AlgSM2 + " " + base64.StdEncoding.EncodeToString(s)
		}
	}
	body := []byte(`{"order_no":"AUTHR1","amount":100,"method":"qr","subject":"x","client_ip":"127.0.0.1"}`)
	if c := send("MR", rsaSign, body, body); c != http.StatusCreated {
		t.Errorf("RSA2: %d", c)
	}
	if c := send("MR", rsaSign, []byte(`{"order_no":"AUTHR2","amount":100,"method":"qr","subject":"x"}`), body); c != http.StatusUnauthorized {
		t.Errorf("RSA2 over another body: %d", c)
	}
	body = []byte(`{"order_no":"AUTHS1","amount":100,"method":"qr","subject":"x","client_ip":"127.0.0.1"}`)
	if c := send("MS", sm2Sign(sm2Key), body, body); c != http.StatusCreated {
		t.Errorf("SM2: %d", c)
	}
	if c := send("MS", sm2Sign(other), body, body); c != http.StatusUnauthorized {
		t.Errorf("SM2 by another key: %d", c)
	}
	if c := send("MS", func([]byte) string { return "SM2 bm90LWEtc2lnbmF0dXJl" }, body, body); c != http.StatusUnauthorized {
		t.Errorf("SM2 garbage: %d", c)
	}
	if p, err := e.db.PaymentByOrderNo(context.Background(), "MS", "AUTHS1"); err != nil || p.State != order.Pending {
		t.Errorf("the SM2-signed payment: %+v %v", p, err)
	}
}

// TestRedeliver_OwnEventsOnly: a merchant can redeliver its own delivered webhooks, not
// another merchant's events, and not one still pending.
func TestRedeliver_OwnEventsOnly(t *testing.T) {
	e := newEnv(t, storetest.SQLiteDSN(t), nil)
	ctx := context.Background()
	_, p, _ := e.pay("RDL1", 100, "qr")
	h, err := e.db.History(ctx, p.ID)
	if err != nil || len(h) == 0 {
		t.Fatalf("history: %v", err)
	}
	id := h[0].ID
	if c, _, b := e.call("M1", secretM1, http.MethodPost, "/v1/events/"+id+"/redeliver", nil, "", nil); c != http.StatusConflict {
		t.Errorf("pending delivery: %d %s", c, b)
	}
	if err := e.db.CompleteDelivery(ctx, "webhook", h[0].Seq); err != nil {
		t.Fatal(err)
	}
	if c, _, b := e.call("M2", "m2-secret-0123456789abcdef", http.MethodPost, "/v1/events/"+id+"/redeliver", nil, "", nil); c != http.StatusNotFound {
		t.Errorf("another merchant's event: %d %s", c, b)
	}
	var out gateway.RedeliverJSON
	if c, _, b := e.call("M1", secretM1, http.MethodPost, "/v1/events/"+id+"/redeliver", nil, "", &out); c != http.StatusOK || !out.Redelivered {
		t.Errorf("own delivered event: %d %s", c, b)
	}
}
