package balance_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/tongdao/tongdao/core/audit"
	"github.com/tongdao/tongdao/core/balance"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// TestQuery_ConcurrentQueriesAreEachAuditedOnce: 32 customers query at once, 4 times each
// (within the per-user burst); every query is answered and audited exactly once, and the
// chain verifies.
func TestQuery_ConcurrentQueriesAreEachAuditedOnce(t *testing.T) {
	h := newHarness(t, storetest.SQLiteDSN(t), nil)
	const users, each = 32, 4
	auth := make([]string, users)
	for i := range auth {
		h.src.Put(fmt.Sprintf("u%d", i), balance.View{AccountID: fmt.Sprintf("w%d", i), Available: money.Fen(int64(i))})
		auth[i] = "Bearer " + h.token(fmt.Sprintf("u%d", i), fmt.Sprintf("w%d", i)).Token
	}
	before := h.head()
	var wg sync.WaitGroup
	errs := make(chan error, users*each)
	for i := 0; i < users; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for k := 0; k < each; k++ {
				req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/v1/customer/accounts/w%d/balance", h.srv.URL, i), nil)
				req.Header.Set("Authorization", auth[i])
				req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("user %d query %d: %d", i, k, resp.StatusCode)
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	perUser := map[string]int{}
	for _, r := range h.records(before) {
		if r.Action != balance.ActionQuery || r.Result != balance.ResultOK || r.Account != "w"+r.Actor[1:] {
			t.Fatalf("unexpected record %s", r)
		}
		perUser[r.Actor]++
	}
	if len(perUser) != users {
		t.Fatalf("%d users audited, want %d", len(perUser), users)
	}
	for u, n := range perUser {
		if n != each {
			t.Fatalf("%s audited %d times, want %d", u, n, each)
		}
	}
	rp, err := audit.Verify(context.Background(), h.db, audit.VerifyOptions{})
	if err != nil || !rp.OK() {
		t.Fatalf("verify: %v %v", rp.Problems, err)
	}
}
