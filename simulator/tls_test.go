package simulator_test

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/simulator"
)

type certProto struct{}

func (certProto) Name() string { return "cert" }
func (certProto) Register(e *simulator.Engine) error {
	if err := e.Handle(simulator.Route{Path: "/secapi/pay/refund", ClientCert: true}, func(c *simulator.Call) *simulator.Reply {
		c.Identify("refund", "", "")
		cn := ""
		if certs := c.ClientCertificates(); len(certs) > 0 {
			cn = certs[0].Subject.CommonName
		}
		return &simulator.Reply{Body: []byte("ok " + cn)}
	}); err != nil {
		return err
	}
	return e.Handle(simulator.Route{Path: "/pay/orderquery"}, func(*simulator.Call) *simulator.Reply {
		return &simulator.Reply{Body: []byte("open")}
	})
}
func (certProto) Reset()                                      {}
func (certProto) AddMerchant(json.RawMessage) (string, error) { return "", simulator.ErrInvalid }
func (certProto) Merchants() []any                            { return nil }

func TestTLS_ClientCertificateOnSecapiPaths(t *testing.T) {
	for _, mode := range []simulator.ClientCertMode{simulator.ClientCertRequire, simulator.ClientCertRequest} {
		t.Run(string(mode), func(t *testing.T) {
			ts := simulator.StartTLS(t, simulator.Config{Protocols: []simulator.Protocol{certProto{}}, ClientCert: mode})
			if !strings.HasPrefix(ts.URL, "https://") {
				t.Fatal(ts.URL)
			}
			plain := ts.Client()
			resp, err := plain.Post(ts.URL+"/pay/orderquery", "text/xml", nil)
			if err != nil {
				t.Fatalf("open path without a cert: %v", err)
			}
			resp.Body.Close()
			resp, err = plain.Post(ts.URL+"/secapi/pay/refund", "text/xml", nil)
			if mode == simulator.ClientCertRequire {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("secapi without a cert answered %d", resp.StatusCode)
				}
			} else if err != nil {
				t.Fatalf("request mode refused: %v", err)
			} else {
				resp.Body.Close()
			}
			withCert, err := ts.ClientWithCert("10000100")
			if err != nil {
				t.Fatal(err)
			}
			resp, err = withCert.Post(ts.URL+"/secapi/pay/refund", "text/xml", nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "ok 10000100" {
				t.Fatalf("answer %q", b)
			}
		})
	}
}
