package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator/bank"
	"github.com/tongdao/tongdao/simulator/demo"
)

// bankLoadCard is the simulator's demo issuer card (test data, never logged).
var bankLoadCard = map[string]string{"cardNo": "6216261000000000018", "holderName": "全渠道", "idNo": "341126197709218366", "mobile": "13552535506"}

// bankLoadRequest is one signed BIND_APPLY envelope and what the bare cost measurement
// needs of it.
type bankLoadRequest struct {
	body      []byte
	canonical []byte
	sig       []byte
	encKey    string
	fields    map[string]string // the sealed fields
}

// buildBankRequest seals and signs a BIND_APPLY of the demo merchant (bank protocol §4, §5)
// as any client would: fresh SM4 key, four SM4-CBC fields, the key wrapped with the bank's
// encryption key, the canonical string signed with the merchant's SM2 key.
func buildBankRequest(mk *sign.SM2PrivateKey, bankEnc *sign.SM2PublicKey, reqTime time.Time, serial, bindNo, user string) (*bankLoadRequest, error) {
	ev, err := sign.NewEnvelope(sign.EnvelopeOptions{})
	if err != nil {
		return nil, err
	}
	data := map[string]string{"bindNo": bindNo, "userId": user, "idType": "01"}
	sealed := map[string]string{}
	for k, v := range bankLoadCard {
		if sealed[k], err = ev.SealField([]byte(v)); err != nil {
			return nil, err
		}
		data[k] = sealed[k]
	}
	encKey, err := ev.WrapKey(bankEnc)
	if err != nil {
		return nil, err
	}
	f := map[string]string{"version": "1.0", "merchantId": bank.DemoMerchantID, "txCode": bank.TxBindApply, "reqSerial": serial,
		"reqTime": reqTime.In(clock.Beijing()).Format("20060102150405"), "signType": "SM2", "certSerial": bank.DemoCertSerial,
		"encKey": encKey, "data": string(compactJSON(data))}
	msg := bankCanonical(f)
	sig, err := sign.SignSM2(mk, msg, sign.SM2SignOptions{})
	if err != nil {
		return nil, err
	}
	if f["sign"], err = sign.EncodeText(sig, sign.TextBase64); err != nil {
		return nil, err
	}
	return &bankLoadRequest{body: compactJSON(f), canonical: msg, sig: sig, encKey: encKey, fields: sealed}, nil
}

func bankCanonical(f map[string]string) []byte {
	p := make(sign.Params, 0, len(f))
	for k, v := range f {
		if k != "sign" {
			p = append(p, sign.Param{Key: k, Value: v})
		}
	}
	p.Sort()
	return sign.AppendCanonical(nil, p, sign.BankDirectCanonical())
}

func compactJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimRight(b.Bytes(), "\n")
}

// bankJob builds n BIND_APPLY requests (on every core, before the clock starts) stamped
// with the simulator's current time, and reports afterwards the simulator's CPU per request
// against the bare SM2/SM4 CPU time one request needs, measured in this process.
func bankJob(ctx context.Context, base, prefix string, n int, stderr io.Writer) (loadJob, error) {
	now, err := simNow(ctx, base)
	if err != nil {
		return loadJob{}, err
	}
	mk, err := sign.ParseSM2PrivateKey(demo.MustFile(demo.BankMerchantPrivate), nil)
	if err != nil {
		return loadJob{}, err
	}
	bankEnc, err := sign.ParseSM2PublicKey(demo.MustFile(demo.BankEncPublic))
	if err != nil {
		return loadJob{}, err
	}
	fmt.Fprintf(stderr, "building %d signed BIND_APPLY requests...\n", n)
	reqs := make([]*bankLoadRequest, n)
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := 0; g < runtime.NumCPU(); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				id := prefix + "B" + strconv.Itoa(i)
				r, err := buildBankRequest(mk, bankEnc, now, id, id, prefix+"U"+strconv.Itoa(i))
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				reqs[i] = r
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return loadJob{}, fmt.Errorf("building requests: %w", firstErr)
	}
	var taken atomic.Int64
	return loadJob{path: bank.GatewayPath, contentType: "application/json; charset=utf-8",
		next: func(_, _ int, body *bytes.Buffer) bool {
			i := int(taken.Add(1) - 1)
			if i >= n {
				return false
			}
			body.Write(reqs[i].body)
			return true
		},
		ok: func(status int, resp []byte) bool {
			return status == http.StatusOK && bytes.Contains(resp, []byte(`"respCode":"0000"`))
		},
		report: func(w io.Writer, r *loadResult) {
			bare, err := bareBankCPU(reqs[0], min(n, 300))
			if err != nil {
				fmt.Fprintf(w, "bare SM2/SM4 measurement failed: %v\n", err)
				return
			}
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			fmt.Fprintf(w, "bare SM2/SM4 CPU per BIND_APPLY (%d in this process): %.3f ms = SM2 verify %.3f + SM2 decrypt %.3f + 4 SM4-CBC %.3f + SM2 sign %.3f ms\n",
				bare.iters, ms(bare.total), ms(bare.verify), ms(bare.unwrap), ms(bare.sm4), ms(bare.sign))
			if !r.havePID || r.ok == 0 {
				fmt.Fprintln(w, "(give --pid to compare with the simulator's CPU per request)")
				return
			}
			per := r.srvCPU / time.Duration(r.ok+r.bad)
			fmt.Fprintf(w, "simulator CPU per request: %.3f ms; ratio to bare %.3f (goal ≤ 1.25)\n", ms(per), float64(per)/float64(bare.total))
		}}, nil
}

// bareCost is the CPU time per BIND_APPLY of the bare cryptography, in total and per
// operation.
type bareCost struct {
	total, verify, unwrap, sm4, sign time.Duration // sm4: the four fields together
	iters                            int
}

// bareBankCPU is the cryptography the bank must do for one BIND_APPLY, repeated iters
// times on one goroutine: SM2 verification of the request, SM2 decryption of the session
// key, four SM4-CBC field decryptions, SM2 signature of an answer of the usual size. It
// returns the process CPU time per iteration (the load has finished; nothing else runs),
// in total and per operation (process CPU read around each, so the parts add up to about
// the total).
func bareBankCPU(r *bankLoadRequest, iters int) (bareCost, error) {
	c := bareCost{iters: iters}
	mk, err := sign.ParseSM2PrivateKey(demo.MustFile(demo.BankMerchantPrivate), nil)
	if err != nil {
		return c, err
	}
	encPriv, err := sign.ParseSM2PrivateKey(demo.MustFile(demo.BankEncPrivate), nil)
	if err != nil {
		return c, err
	}
	signPriv, err := sign.ParseSM2PrivateKey(demo.MustFile(demo.BankSignPrivate), nil)
	if err != nil {
		return c, err
	}
	answer := []byte(`certSerial=90000000001&data={"bankCode":"ICBC","bindNo":"LB0","cardType":"DC","smsExpireSeconds":"300","smsSent":"Y"}&merchantId=M0000001&reqSerial=LB0&respCode=0000&respMsg=success&respTime=20240603100000&signType=SM2&txCode=BIND_APPLY&version=1.0`)
	runtime.GC()
	start := selfCPU()
	for i := 0; i < iters; i++ {
		t0 := selfCPU()
		if err := sign.VerifySM2(mk.Public(), r.canonical, r.sig, sign.SM2SignOptions{}); err != nil {
			return c, err
		}
		t1 := selfCPU()
		ev, err := sign.OpenEnvelope(encPriv, r.encKey, sign.EnvelopeOptions{})
		if err != nil {
			return c, err
		}
		t2 := selfCPU()
		for _, v := range r.fields {
			if _, err := ev.OpenField(v); err != nil {
				return c, err
			}
		}
		t3 := selfCPU()
		if _, err := sign.SignSM2(signPriv, answer, sign.SM2SignOptions{}); err != nil {
			return c, err
		}
		t4 := selfCPU()
		c.verify += t1 - t0
		c.unwrap += t2 - t1
		c.sm4 += t3 - t2
		c.sign += t4 - t3
	}
	n := time.Duration(iters)
	c.total = (selfCPU() - start) / n
	c.verify, c.unwrap, c.sm4, c.sign = c.verify/n, c.unwrap/n, c.sm4/n, c.sign/n
	return c, nil
}

// simNow reads the simulator's clock (GET /_sim/clock): requests must carry a reqTime
// within ±300 s of it.
func simNow(ctx context.Context, base string) (time.Time, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/_sim/clock", nil)
	if err != nil {
		return time.Time{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return time.Time{}, fmt.Errorf("reading the simulator's clock: %w", err)
	}
	defer resp.Body.Close()
	var v struct {
		Now string `json:"now"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&v); err != nil {
		return time.Time{}, fmt.Errorf("reading the simulator's clock: %w", err)
	}
	return time.Parse(time.RFC3339Nano, v.Now)
}
