package router_test

import (
	"context"
	"net/http"

	"github.com/tongdao/tongdao/core/channel"
)

// fakeChannel declares methods and answers nothing; routing tests never call it.
type fakeChannel struct {
	name    string
	methods []channel.Method
}

func (f *fakeChannel) Name() string              { return f.name }
func (f *fakeChannel) Info() channel.Info        { return channel.Info{} }
func (f *fakeChannel) Methods() []channel.Method { return f.methods }
func (f *fakeChannel) Pay(context.Context, *channel.PayRequest) (*channel.PaymentResult, error) {
	return nil, channel.ErrUnknownOutcome
}
func (f *fakeChannel) Query(context.Context, *channel.QueryRequest) (*channel.PaymentResult, error) {
	return nil, channel.ErrUnknownOutcome
}
func (f *fakeChannel) Refund(context.Context, *channel.RefundRequest) (*channel.RefundResult, error) {
	return nil, channel.ErrUnknownOutcome
}
func (f *fakeChannel) QueryRefund(context.Context, *channel.RefundQueryRequest) (*channel.RefundResult, error) {
	return nil, channel.ErrUnknownOutcome
}
func (f *fakeChannel) ParseNotification(context.Context, http.Header, []byte) (*channel.Notification, error) {
	return nil, channel.ErrUnknownOutcome
}
func (f *fakeChannel) DownloadStatement(context.Context, *channel.StatementRequest) (channel.StatementReader, error) {
	return nil, channel.ErrUnknownOutcome
}

// closerChannel also closes orders (the channel.Closer capability).
type closerChannel struct{ fakeChannel }

func (c *closerChannel) Close(context.Context, *channel.CloseRequest) (*channel.CloseResult, error) {
	return nil, channel.ErrUnknownOutcome
}
