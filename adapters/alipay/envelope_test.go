package alipay

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExtractResponse_CutsExactNodeBytes(t *testing.T) {
	const node = `{"code":"10000","msg":"Success","subject":"a } \" { brace","n":[1,{"x":"]"}]}`
	tests := []struct {
		name, body, sign, sn string
	}{
		{"compact key mode", `{"alipay_trade_query_response":` + node + `,"sign":"c2ln"}`, "c2ln", ""},
		{"cert mode", `{"alipay_trade_query_response":` + node + `,"alipay_cert_sn":"abc","sign":"c2ln"}`, "c2ln", "abc"},
		{"whitespace around tokens", " {\n \"alipay_trade_query_response\" : " + node + " ,\n\"sign\" : \"c2ln\" }\n", "c2ln", ""},
		{"sign first", `{"sign":"c2ln","alipay_trade_query_response":` + node + `}`, "c2ln", ""},
		{"escaped slash in sign", `{"alipay_trade_query_response":` + node + `,"sign":"a\/b"}`, "a/b", ""},
		{"unknown members ignored", `{"x":{"alipay_trade_query_response":1},"alipay_trade_query_response":` + node + `,"sign":"c2ln","y":[true,null,-1.5e3]}`, "c2ln", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := extractResponse([]byte(tt.body), "alipay_trade_query_response")
			require.NoError(t, err)
			assert.Equal(t, node, string(env.node))
			assert.Equal(t, tt.sign, env.sign)
			assert.Equal(t, tt.sn, env.certSN)
			assert.Equal(t, "alipay_trade_query_response", env.name)
		})
	}
}

func TestExtractResponse_FallsBackToErrorResponse(t *testing.T) {
	body := `{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-method"}}`
	env, err := extractResponse([]byte(body), "alipay_trade_query_response")
	require.NoError(t, err)
	assert.Equal(t, errorResponseNode, env.name)
	assert.Equal(t, `{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-method"}`, string(env.node))
}

func TestExtractResponse_RejectsAmbiguousOrMalformedBodies(t *testing.T) {
	n := "alipay_trade_query_response"
	tests := []struct {
		name, body string
		want       error
	}{
		{"duplicate node", `{"` + n + `":{"code":"40004"},"` + n + `":{"code":"10000"},"sign":"x"}`, errDupNode},
		{"duplicate sign", `{"` + n + `":{"code":"10000"},"sign":"x","sign":"y"}`, errDupNode},
		{"duplicate cert sn", `{"` + n + `":{},"alipay_cert_sn":"a","alipay_cert_sn":"b","sign":"x"}`, errDupNode},
		{"escaped duplicate key", `{"` + n + `":{"code":"40004"},"alipay_trade_query_respons\u0065":{"code":"10000"}}`, errDupNode},
		{"no node", `{"sign":"x"}`, errNoNode},
		{"empty object", `{}`, errNoNode},
		{"node and error_response", `{"` + n + `":{},"error_response":{}}`, errMalformed},
		{"node not an object", `{"` + n + `":"10000","sign":"x"}`, errMalformed},
		{"not json", `<html>502</html>`, errMalformed},
		{"truncated", `{"` + n + `":{"code":"10000"`, errMalformed},
		{"unbalanced", `{"` + n + `":{"code":["10000"}]}`, errMalformed},
		{"trailing data", `{"` + n + `":{}}{"` + n + `":{}}`, errMalformed},
		{"missing colon", `{"` + n + `" {}}`, errMalformed},
		{"sign not a string", `{"` + n + `":{},"sign":12}`, errMalformed},
		{"control char in string", "{\"" + n + "\":{\"a\":\"\x01\"}}", errMalformed},
		{"bad literal", `{"` + n + `":{},"x":nope}`, errMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := extractResponse([]byte(tt.body), n)
			require.Error(t, err)
			assert.True(t, errors.Is(err, tt.want), "got %v, want %v", err, tt.want)
		})
	}
}

func TestNodeName_ReplacesDotsAndAddsSuffix(t *testing.T) {
	assert.Equal(t, "alipay_trade_fastpay_refund_query_response", nodeName("alipay.trade.fastpay.refund.query"))
}

func TestVerifyNode_AcceptsGoldenAndRejectsTampering(t *testing.T) {
	pub := &testKey(t, "alipay_private.pem").PublicKey
	body := golden(t, "query_success")
	env, err := extractResponse([]byte(body), nodeName(methodQuery))
	require.NoError(t, err)
	require.NoError(t, verifyNode(pub, env))

	tampered, err := extractResponse([]byte(strings.Replace(body, `"total_amount":"88.88"`, `"total_amount":"88.89"`, 1)), nodeName(methodQuery))
	require.NoError(t, err)
	assert.ErrorIs(t, verifyNode(pub, tampered), errBadSig)

	other := &testKey(t, "alipay2_private.pem").PublicKey
	assert.ErrorIs(t, verifyNode(other, env), errBadSig)

	env.sign = "***"
	assert.ErrorIs(t, verifyNode(pub, env), errBadSig)
}

func TestVerifyNode_RetriesWithUnescapedSlashes(t *testing.T) {
	key := testKey(t, "alipay_private.pem")
	signedNode := `{"code":"10000","msg":"Success","qr_code":"https://qr.alipay.com/x"}`
	body := signedBody(t, key, methodPrecreate, signedNode, "")
	// A gateway that escaped '/' after signing (the Java SDK retries this way, alipay.md §6).
	body = strings.Replace(body, "https://qr.alipay.com/x", `https:\/\/qr.alipay.com\/x`, 1)
	env, err := extractResponse([]byte(body), nodeName(methodPrecreate))
	require.NoError(t, err)
	assert.NoError(t, verifyNode(&key.PublicKey, env))
}
