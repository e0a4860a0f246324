package gateway

import (
	"context"
	"net/http"
)

// Handler is an authenticated merchant-API handler mounted with Gateway.Handle. It gets
// the authenticated merchant and the (size-limited) body, and answers with a status and a
// value to encode as JSON, or an error: one made by NewError is answered as given, any
// other error as a 500 that names no internals.
type Handler func(ctx context.Context, m *Merchant, r *http.Request, body []byte) (int, any, error)

// Handle mounts h at method and path (a gorilla/mux pattern such as "/v1/wallets/{id}")
// behind the gateway's own body limit, merchant signature check, timestamp window, nonce
// replay cache and rate limit. With idempotent, POSTs honour Idempotency-Key exactly as
// /v1/payments does. Packages built on the gateway (wallets, reconciliation) add their
// resources this way, so every route is signed and limited the same. Call it before
// serving; it is not safe concurrently with ServeHTTP.
func (g *Gateway) Handle(method, path string, h Handler, idempotent bool) {
	g.router.Handle(path, g.instrument(method+" "+path, g.authed(handlerFunc(h), idempotent))).Methods(method)
}

// NewError returns an error that a Handler's caller answers with status and the JSON body
// {"error":{"code":code,"message":msg,"param":param}}.
func NewError(status int, code, msg, param string) error {
	return &apiErr{status, APIError{Code: code, Message: msg, Param: param}}
}
