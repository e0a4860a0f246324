package wechat

import (
	"context"
	"fmt"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
)

// signKey returns the key requests are signed with: the API key, or in sandbox mode the
// sandbox key, fetched once from /sandboxnew/pay/getsignkey (wechat-v2.md §12).
func (c *Client) signKey(ctx context.Context) (string, error) {
	if !c.sandbox {
		return c.key, nil
	}
	c.sandboxMu.Lock()
	defer c.sandboxMu.Unlock()
	if c.sandboxKey != "" {
		return c.sandboxKey, nil
	}
	k, err := c.fetchSandboxKey(ctx)
	if err != nil {
		return "", err
	}
	c.sandboxKey = k
	return k, nil
}

// fetchSandboxKey asks for the sandbox key: mch_id, nonce_str and an MD5 sign with the
// real API key; the answer carries sandbox_signkey (§12). The answer is not verified
// (WeChat does not document it as signed); its mch_id must be ours and the key 32
// characters.
func (c *Client) fetchSandboxKey(ctx context.Context) (string, error) {
	cl := call{op: "sandbox key", path: "/pay/getsignkey", retry: true}
	p := sign.Params{{Key: "mch_id", Value: c.mchID}, {Key: "nonce_str", Value: newNonce()}}
	s, err := sign.WeChatSign(p, c.key, sign.WeChatMD5)
	if err != nil {
		return "", &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindInvalidRequest, Code: "SIGN", Err: err}
	}
	p.Set("sign", s)
	body, err := encodeXML(p)
	if err != nil {
		return "", &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindInvalidRequest, Code: "ENCODE", Err: err}
	}
	data, _, err := c.post(ctx, c.http, cl, body)
	if err != nil {
		return "", err
	}
	resp, err := decodeFlat(data, "xml")
	if err != nil {
		return "", &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindUnavailable, Code: "BAD_RESPONSE",
			Message: "undecodable sandbox key answer", Retryable: true, Raw: rawCopy(data), Err: err}
	}
	if rc := lookup(resp, "return_code"); rc != "SUCCESS" {
		msg := lookup(resp, "return_msg")
		kind, retry := returnFailKind(msg)
		if kind == channel.KindUnknown {
			kind = channel.KindUnavailable // nothing was paid: fetching a key moves no money
		}
		return "", &channel.Error{Channel: channelName, Op: cl.op, Kind: kind, Code: msg, Message: "return_code=" + rc, Retryable: retry}
	}
	key := lookup(resp, "sandbox_signkey")
	if v := lookup(resp, "mch_id"); v != "" && v != c.mchID || len(key) != 32 {
		return "", &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindUnavailable, Code: "BAD_RESPONSE",
			Message: fmt.Sprintf("sandbox key answer for mch_id %q with a %d-character key", v, len(key)), Retryable: true}
	}
	return key, nil
}
