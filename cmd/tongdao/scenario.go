package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tongdao/tongdao/adapters/alipay"
	"github.com/tongdao/tongdao/adapters/bank"
	"github.com/tongdao/tongdao/adapters/unionpay"
	"github.com/tongdao/tongdao/adapters/wechat"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/scenarios"
	"github.com/tongdao/tongdao/scenarios/gatewaytarget"
	"github.com/tongdao/tongdao/simulator"
	simbank "github.com/tongdao/tongdao/simulator/bank"
	"github.com/tongdao/tongdao/simulator/demo"
)

// scenarioFactories wires the adapters the binary knows into the scenario runner.
// Scenarios of a channel the simulator does not serve (yet) are skipped by the runner.
func scenarioFactories() map[string]scenarios.ChannelFactory {
	return map[string]scenarios.ChannelFactory{
		"wechat":   wechatScenarioChannel,
		"alipay":   alipayScenarioChannel,
		"bank":     bankScenarioChannel,
		"unionpay": unionpayScenarioChannel,
	}
}

// unionpayScenarioChannel builds adapters/unionpay for a simulator UnionPay merchant
// ({"mer_id", ...}) with the demo certificates of simulator/demo: the merchant's PKCS#12
// (signMethod 01) and UnionPay's root, middle and encryption certificates. Adapter option
// sign_method "21" signs with the demo SM2 key instead.
func unionpayScenarioChannel(simURL string, m scenarios.MerchantConfig, hc *http.Client) (channel.Channel, error) {
	var doc struct {
		MerID string `json:"mer_id"`
	}
	if err := json.Unmarshal(m.Config, &doc); err != nil {
		return nil, fmt.Errorf("unionpay merchant document: %w", err)
	}
	var opt struct {
		SignMethod string `json:"sign_method"`
	}
	if len(m.Adapter) > 0 {
		dec := json.NewDecoder(bytes.NewReader(m.Adapter))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&opt); err != nil {
			return nil, fmt.Errorf("unionpay adapter options (sign_method): %w", err)
		}
	}
	cfg := unionpay.Config{MerID: doc.MerID, BaseURL: simURL, HTTPClient: hc, Clock: m.Clock, NotifyURL: m.NotifyURL,
		RootCert: demo.MustFile(demo.UnionPayRootCert), MiddleCert: demo.MustFile(demo.UnionPayMiddleCert),
		SM2RootCert: demo.MustFile(demo.UnionPaySM2RootCert), SM2MiddleCert: demo.MustFile(demo.UnionPaySM2MiddleCert)}
	switch opt.SignMethod {
	case "", unionpay.SignRSA:
		cfg.SignCertPFX, cfg.SignCertPassword = demo.MustFile(demo.UnionPayMerchantPFX), demo.UnionPayPFXPassword
		cfg.EncryptCert = demo.MustFile(demo.UnionPayEncCert)
	case unionpay.SignSM2:
		cfg.SignMethod = unionpay.SignSM2
		cfg.SM2Key, cfg.SM2Cert = demo.MustFile(demo.UnionPaySM2MerchantPrivate), demo.MustFile(demo.UnionPaySM2MerchantCert)
		cfg.EncryptCert = demo.MustFile(demo.UnionPaySM2EncCert)
	default:
		return nil, fmt.Errorf("unionpay adapter option sign_method %q: want 01 or 21", opt.SignMethod)
	}
	return unionpay.New(cfg)
}

// bankScenarioChannel builds adapters/bank for a simulator bank merchant ({"merchant_id",
// "cert_serial", "public_key", ...}), verifying with the simulated bank's demo keys. The
// adapter option merchant_private_key (PEM) signs for a merchant registered with its own
// key; default the demo merchant's key.
func bankScenarioChannel(simURL string, m scenarios.MerchantConfig, hc *http.Client) (channel.Channel, error) {
	var doc struct {
		MerchantID string `json:"merchant_id"`
		CertSerial string `json:"cert_serial"`
	}
	if err := json.Unmarshal(m.Config, &doc); err != nil {
		return nil, fmt.Errorf("bank merchant document: %w", err)
	}
	key := demo.MustFile(demo.BankMerchantPrivate)
	if len(m.Adapter) > 0 {
		var opt struct {
			MerchantPrivateKey string `json:"merchant_private_key"`
		}
		dec := json.NewDecoder(bytes.NewReader(m.Adapter))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&opt); err != nil {
			return nil, fmt.Errorf("bank adapter options (merchant_private_key): %w", err)
		}
		if opt.MerchantPrivateKey != "" {
			key = []byte(opt.MerchantPrivateKey)
		}
	}
	return bank.New(bank.Config{MerchantID: doc.MerchantID, CertSerial: doc.CertSerial, MerchantKey: key,
		BankSignKey: demo.MustFile(demo.BankSignPublic), BankEncKey: demo.MustFile(demo.BankEncPublic),
		BankCertSerial: simbank.BankCertSerial, BaseURL: simURL, HTTPClient: hc, Clock: m.Clock, NotifyURL: m.NotifyURL})
}

// alipayScenarioChannel builds adapters/alipay for a simulator Alipay app ({"app_id", ...}).
// Adapter options (a scenario merchant's `adapter:`): cert_mode (use the demo certificates
// of simulator/demo instead of the bare Alipay public key) and app_private_key (PEM; default
// the demo app's key, which matches the demo app and any merchant registered with the demo
// app public key).
func alipayScenarioChannel(simURL string, m scenarios.MerchantConfig, hc *http.Client) (channel.Channel, error) {
	var doc struct {
		AppID string `json:"app_id"`
	}
	if err := json.Unmarshal(m.Config, &doc); err != nil {
		return nil, fmt.Errorf("alipay merchant document: %w", err)
	}
	var opt struct {
		CertMode      bool   `json:"cert_mode"`
		AppPrivateKey string `json:"app_private_key"`
	}
	if len(m.Adapter) > 0 {
		dec := json.NewDecoder(bytes.NewReader(m.Adapter))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&opt); err != nil {
			return nil, fmt.Errorf("alipay adapter options (cert_mode, app_private_key): %w", err)
		}
	}
	cfg := alipay.Config{AppID: doc.AppID, AppPrivateKey: demo.MustFile(demo.AlipayAppPrivate),
		BaseURL: simURL, HTTPClient: hc, Clock: m.Clock, NotifyURL: m.NotifyURL}
	if opt.AppPrivateKey != "" {
		cfg.AppPrivateKey = []byte(opt.AppPrivateKey)
	}
	if opt.CertMode {
		cfg.AppCert = demo.MustFile(demo.AlipayAppCert)
		cfg.AlipayCert = demo.MustFile(demo.AlipayPlatformCert)
		cfg.AlipayRootCert = demo.MustFile(demo.AlipayRootCert)
	} else {
		cfg.AlipayPublicKey = demo.MustFile(demo.AlipayPlatformPublic)
	}
	return alipay.New(cfg)
}

// wechatScenarioChannel builds adapters/wechat for a simulator WeChat merchant
// ({"mch_id", "appids", "key"}), signing with MD5. The same client carries the /secapi calls:
// the simulator asks for a client certificate there but serves without one by default.
func wechatScenarioChannel(simURL string, m scenarios.MerchantConfig, hc *http.Client) (channel.Channel, error) {
	var doc struct {
		MchID  string   `json:"mch_id"`
		AppIDs []string `json:"appids"`
		Key    string   `json:"key"`
	}
	if err := json.Unmarshal(m.Config, &doc); err != nil {
		return nil, fmt.Errorf("wechat merchant document: %w", err)
	}
	if len(doc.AppIDs) == 0 {
		return nil, errors.New("wechat merchant document: appids is empty")
	}
	return wechat.New(wechat.Config{AppID: doc.AppIDs[0], MchID: doc.MchID, Key: doc.Key,
		BaseURL: simURL, HTTPClient: hc, TLSClient: hc, Clock: m.Clock, NotifyURL: m.NotifyURL})
}

// scenarioMain runs `tongdao scenario SUBCOMMAND`.
func scenarioMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		scenarioUsage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "run":
		return scenarioRun(ctx, args[1:], stdout, stderr, scenarioFactories(), simProtocols)
	case "validate":
		return scenarioValidate(args[1:], stdout, stderr, scenarioFactories())
	case "list":
		return scenarioList(args[1:], stdout, stderr, scenarioFactories())
	}
	fmt.Fprintf(stderr, "tongdao scenario: unknown subcommand %q\n\n", args[0])
	scenarioUsage(stderr)
	return 2
}

func scenarioUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: tongdao scenario run [--parallel N] [--junit FILE] [--html FILE] [--sim URL]... [--tag T]... [-v] PATH...")
	fmt.Fprintln(w, "       tongdao scenario validate PATH...   check files without running them")
	fmt.Fprintln(w, "       tongdao scenario list [--tag T]... PATH...   show scenario names, tags and files")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Runs QA scenario files (*.yaml; folders are searched recursively; *.inc.yaml are")
	fmt.Fprintln(w, "step lists for include:, not scenarios) against a fresh in-process simulator per")
	fmt.Fprintln(w, "scenario, or against a running `tongdao sim serve` (--sim), where each scenario gets a")
	fmt.Fprintln(w, "namespace of its own (a fresh simulator on the same listener), so --parallel N works")
	fmt.Fprintln(w, "against one simulator. A simulator without namespaces is reset before every scenario;")
	fmt.Fprintln(w, "then give one --sim per parallel worker.")
	fmt.Fprintln(w, "A scenario's `target:` is tongdao's adapters (default), the tongdao gateway (in process,")
	fmt.Fprintln(w, "or --gateway-url) or your own service (`target: http`: --target-url and --sim).")
	fmt.Fprintln(w, "Exit status:")
	fmt.Fprintln(w, "  0  all passed (validate, list: every file is good)")
	fmt.Fprintln(w, "  1  a scenario failed")
	fmt.Fprintln(w, "  2  bad usage or bad scenario files (nothing ran)")
	fmt.Fprintln(w, "  3  could not reach the simulator given with --sim (nothing ran)")
	fmt.Fprintln(w, "Format: `tongdao docs scenarios`.")
}

// tagList collects repeated or comma-separated --tag values.
type tagList []string

func (t *tagList) String() string { return strings.Join(*t, ",") }

func (t *tagList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*t = append(*t, s)
		}
	}
	return nil
}

// scenarioRun is `scenario run` with its wiring passed in (tests pass their own).
func scenarioRun(ctx context.Context, args []string, stdout, stderr io.Writer, factories map[string]scenarios.ChannelFactory, protocols func() ([]simulator.Protocol, error)) int {
	var (
		junit, simURL, notifyListen, notifyURL, transcripts string
		targetURL, gatewayURL, gatewayMerchant              string
		tags                                                tagList
		verbose                                             bool
		timeout                                             time.Duration
		sims                                                tagList
		parallel                                            int
		htmlFile                                            string
		noNamespaces                                        bool
	)
	fs := flag.NewFlagSet("tongdao scenario run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&junit, "junit", "", "write a JUnit XML report to `FILE`")
	fs.Var(&sims, "sim", "run against the simulator at `URL` instead of in process (a namespace per scenario, or a reset when it has none); repeat (or comma-separate) to give each --parallel worker a simulator without namespaces of its own")
	fs.IntVar(&parallel, "parallel", 1, "run `N` scenarios at once (in process or in namespaces: any N; simulators without namespaces: one each)")
	fs.BoolVar(&noNamespaces, "no-namespaces", false, "with --sim: reset the simulator before each scenario instead of using namespaces")
	fs.StringVar(&htmlFile, "html", "", "write a self-contained HTML report to `FILE`")
	fs.Var(&tags, "tag", "run only scenarios carrying `TAG` (repeat or comma-separate for any of several)")
	fs.StringVar(&notifyListen, "notify-listen", "127.0.0.1:0", "with --sim: where the scenario's notify endpoint listens (`HOST:PORT`)")
	fs.StringVar(&notifyURL, "notify-url", "", "with --sim: the `URL` the simulator reaches the notify endpoint at (default http://LISTEN-ADDRESS)")
	fs.StringVar(&transcripts, "transcripts", "", "write each scenario's full transcript to `DIR`/<suite folder>/<file path>.txt")
	fs.StringVar(&targetURL, "target-url", "", "`URL` of the merchant service that `target: http` scenarios test (with --sim: the simulator it talks to)")
	fs.StringVar(&gatewayURL, "gateway-url", "", "`URL` of a running tongdao gateway for `target: gateway` scenarios (default: one in process per scenario)")
	fs.StringVar(&gatewayMerchant, "gateway-merchant", "", "with --gateway-url: the merchant `ID` to sign as; its HMAC secret is read from $TONGDAO_GATEWAY_SECRET")
	fs.BoolVar(&verbose, "v", false, "print every scenario's full transcript")
	fs.DurationVar(&timeout, "timeout", 2*time.Minute, "wall-clock limit per scenario")
	fs.Usage = func() {
		scenarioUsage(fs.Output())
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Flags:")
		fs.PrintDefaults()
	}
	// Flags may come before or after the paths.
	var paths []string
	rest := args
	for {
		if code, ok := parseFlags(fs, rest, stdout, stderr); !ok {
			return code
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		paths = append(paths, rest[0])
		rest = rest[1:]
	}
	if len(paths) == 0 {
		fmt.Fprintln(stderr, "tongdao scenario run: name at least one scenario file or folder")
		fs.SetOutput(stderr)
		fs.Usage()
		return 2
	}
	if parallel < 1 {
		fmt.Fprintln(stderr, "tongdao scenario run: --parallel must be 1 or more")
		return 2
	}
	if len(sims) > 0 {
		simURL = sims[0]
	}
	list, err := scenarios.LoadPaths(paths, scenarios.ParseOptions{Channels: scenarioChannels(factories)})
	if err != nil {
		fmt.Fprintf(stderr, "tongdao scenario run: bad scenario files:\n%v\n", err)
		return 2
	}
	list = scenarios.FilterTags(list, tags)
	if len(list) == 0 {
		fmt.Fprintf(stderr, "tongdao scenario run: no scenario carries tag %s\n", strings.Join(tags, " or "))
		return 2
	}
	opts := scenarios.Options{Factories: factories, SimURL: simURL, NotifyListen: notifyListen, NotifyURL: notifyURL, ScenarioTimeout: timeout,
		TargetURL: targetURL, GatewayURL: gatewayURL, Gateway: gatewaytarget.Start(""),
		Parallel: parallel, NoNamespaces: noNamespaces}
	if len(sims) > 1 {
		opts.MoreSimURLs = sims[1:]
	}
	if gatewayURL != "" {
		secret := os.Getenv("TONGDAO_GATEWAY_SECRET")
		if gatewayMerchant == "" || secret == "" {
			fmt.Fprintln(stderr, "tongdao scenario run: --gateway-url needs --gateway-merchant ID and the merchant's HMAC secret in $TONGDAO_GATEWAY_SECRET")
			return 2
		}
		opts.GatewaySign = gatewaytarget.Signer(gatewayMerchant, secret)
	}
	if simURL == "" {
		opts.Protocols = protocols
	}
	results, err := scenarios.Run(ctx, list, opts)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao scenario run: %v\n", err)
		if errors.Is(err, scenarios.ErrUnreachable) {
			return 3
		}
		return 2
	}
	if verbose {
		for _, r := range results {
			_ = scenarios.WriteTranscript(stdout, r)
			fmt.Fprintln(stdout)
		}
	}
	failed, err := scenarios.WriteText(stdout, results)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao scenario run: %v\n", err)
		return 2
	}
	if transcripts != "" {
		if err := writeTranscripts(transcripts, results); err != nil {
			fmt.Fprintf(stderr, "tongdao scenario run: %v\n", err)
			return 2
		}
	}
	if htmlFile != "" {
		if err := writeHTMLFile(htmlFile, results); err != nil {
			fmt.Fprintf(stderr, "tongdao scenario run: %v\n", err)
			return 2
		}
	}
	if junit != "" {
		if err := writeJUnitFile(junit, results); err != nil {
			fmt.Fprintf(stderr, "tongdao scenario run: %v\n", err)
			return 2
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintf(stderr, "tongdao scenario run: interrupted after %d of %d scenarios\n", len(results), len(list))
		return 1
	}
	if failed > 0 {
		return 1
	}
	return 0
}

func writeJUnitFile(name string, results []scenarios.Result) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("--junit: %w", err)
	}
	if err := scenarios.WriteJUnit(f, results); err != nil {
		_ = f.Close()
		return fmt.Errorf("--junit %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--junit %s: %w", name, err)
	}
	return nil
}

func writeTranscripts(dir string, results []scenarios.Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--transcripts: %w", err)
	}
	names := scenarios.TranscriptNames(results)
	for i, r := range results {
		name := filepath.Join(dir, filepath.FromSlash(names[i]))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return fmt.Errorf("--transcripts: %w", err)
		}
		f, err := os.Create(name)
		if err != nil {
			return fmt.Errorf("--transcripts: %w", err)
		}
		werr := scenarios.WriteTranscript(f, r)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fmt.Errorf("--transcripts %s: %w", name, werr)
		}
	}
	return nil
}
