package gateway_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// TestOpenAPI_MatchesRoutes checks that the served document lists exactly the routes the
// gateway answers, method by method: every documented operation is routed (neither 404 nor
// 405), and every other method on a documented path is not.
func TestOpenAPI_MatchesRoutes(t *testing.T) {
	e := newEnv(t, storetest.SQLiteDSN(t), nil)
	resp, err := e.srv.Client().Get(e.srv.URL + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		concrete := strings.NewReplacer("{order_no}", "X1", "{refund_no}", "R1", "{channel}", "wechat", "{account}", "wx1", "{event_id}", "evt_x",
			"{bind_no}", "B1", "{payout_no}", "P1").Replace(path)
		for _, m := range []string{"get", "post", "put", "delete", "patch"} {
			_, doc := ops[m]
			req, _ := http.NewRequest(strings.ToUpper(m), e.srv.URL+concrete, nil)
			r, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if doc {
				documented = append(documented, m+" "+path)
				if r.StatusCode == http.StatusMethodNotAllowed || r.StatusCode == http.StatusNotFound {
					t.Errorf("documented %s %s is not routed (%d)", m, path, r.StatusCode)
				}
			} else if r.StatusCode != http.StatusMethodNotAllowed && r.StatusCode != http.StatusNotFound {
				t.Errorf("%s %s answers %d but is not documented", m, path, r.StatusCode)
			}
		}
	}
	sort.Strings(documented)
	want := []string{"get /v1/bindings/{bind_no}", "get /v1/openapi.json", "get /v1/payments/{order_no}", "get /v1/payouts/{payout_no}",
		"get /v1/refunds/{refund_no}", "post /notify/{channel}/{account}", "post /v1/bindings", "post /v1/bindings/{bind_no}/confirm",
		"post /v1/bindings/{bind_no}/resend", "post /v1/bindings/{bind_no}/unbind", "post /v1/events/{event_id}/redeliver", "post /v1/payments",
		"post /v1/payments/{order_no}/close", "post /v1/payouts", "post /v1/refunds"}
	if strings.Join(documented, ",") != strings.Join(want, ",") {
		t.Errorf("documented operations\n got %v\nwant %v", documented, want)
	}
	if !json.Valid(gateway.OpenAPI) {
		t.Error("embedded document is not JSON")
	}
}
