package main

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/bank"
)

// TestSimLoad_BankSendsVerifiableEnvelopes runs the bank load mode against a simulator on
// loopback (this process's own pid stands in for the simulator's): every BIND_APPLY is
// accepted, and the bare-crypto comparison is printed.
func TestSimLoad_BankSendsVerifiableEnvelopes(t *testing.T) {
	p, err := bank.New(bank.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{p}})
	var out, errOut bytes.Buffer
	code := simLoad(context.Background(), []string{"--channel", "bank", "--url", sim.URL, "--requests", "6", "--concurrency", "2",
		"--pid", itoa(os.Getpid())}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"(6 ok, 0 bad answers, 0 transport errors)", "bare SM2/SM4 CPU per BIND_APPLY", "ratio to bare"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if code := simLoad(context.Background(), []string{"--channel", "paypal"}, &out, &errOut); code != 2 {
		t.Errorf("unknown channel: exit %d", code)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestSimLoad_UnionPay: the UnionPay load mode's requests are accepted by the simulator
// (every answer respCode 00) and the bare comparison is printed.
func TestSimLoad_UnionPay(t *testing.T) {
	protos, err := simProtocols()
	if err != nil {
		t.Fatal(err)
	}
	sim := simulator.Start(t, simulator.Config{Protocols: protos})
	var out, errOut bytes.Buffer
	code := simLoad(context.Background(), []string{"--channel", "unionpay", "--url", sim.URL, "--requests", "20", "--concurrency", "2",
		"--pid", itoa(os.Getpid())}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"(20 ok, 0 bad answers, 0 transport errors)", "bare CPU per request", "ratio to bare"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
