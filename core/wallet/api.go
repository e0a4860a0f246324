package wallet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/money"
)

// Mount adds the wallet's JSON routes to g (gateway.Handle): signed by the merchant,
// rate-limited and, for POSTs, honouring Idempotency-Key like the gateway's own routes.
// docs/WALLETS.md lists them with examples.
func (s *Service) Mount(g *gateway.Gateway) {
	h := func(method, path string, fn gateway.Handler) { g.Handle(method, path, fn, method == http.MethodPost) }
	h(http.MethodPost, "/v1/wallet/customers", s.apiCreateCustomer)
	h(http.MethodGet, "/v1/wallet/customers/{id}", s.apiGetCustomer)
	h(http.MethodPost, "/v1/wallet/customers/{id}/level", s.apiRaiseLevel)
	h(http.MethodPost, "/v1/wallet/customers/{id}/users", s.apiAddUser)
	h(http.MethodPost, "/v1/wallet/customers/{id}/accounts", s.apiOpenAccount)
	h(http.MethodPost, "/v1/wallet/customers/{id}/password", s.apiSetPassword)
	h(http.MethodPost, "/v1/wallet/customers/{id}/cards", s.apiBindCard)
	h(http.MethodPost, "/v1/wallet/cards/{id}/confirm", s.apiConfirmCard)
	h(http.MethodGet, "/v1/wallet/accounts/{id}", s.apiGetAccount)
	h(http.MethodPost, "/v1/wallet/accounts/{id}/freeze", s.apiFreeze)
	h(http.MethodPost, "/v1/wallet/accounts/{id}/unfreeze", s.apiUnfreeze)
	h(http.MethodPost, "/v1/wallet/accounts/{id}/close", s.apiClose)
	h(http.MethodGet, "/v1/wallet/accounts/{id}/statement", s.apiStatement)
	h(http.MethodPost, "/v1/wallet/topups", s.apiTopUp)
	h(http.MethodPost, "/v1/wallet/transfers", s.apiTransfer)
	h(http.MethodPost, "/v1/wallet/payments", s.apiPay)
	h(http.MethodPost, "/v1/wallet/withdrawals", s.apiWithdraw)
	h(http.MethodGet, "/v1/wallet/withdrawals/{request_no}", s.apiGetWithdrawal)
}

// apiError answers err as the gateway's JSON error.
func apiError(err error) error {
	var we *Error
	param, msg := "", err.Error()
	if errors.As(err, &we) {
		param = we.Field
	}
	st, code := http.StatusInternalServerError, ""
	switch {
	case errors.Is(err, ErrInvalid):
		st, code = http.StatusBadRequest, "invalid_request"
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrNotOwner):
		st, code = http.StatusNotFound, "not_found"
	case errors.Is(err, ErrConflict):
		st, code = http.StatusConflict, "request_no_reused"
	case errors.Is(err, ErrDuplicate):
		st, code = http.StatusConflict, "duplicate"
	case errors.Is(err, ErrLimit):
		st, code = http.StatusUnprocessableEntity, "limit_exceeded"
	case errors.Is(err, ErrNotAllowed):
		st, code = http.StatusForbidden, "not_allowed"
	case errors.Is(err, ErrInsufficientFunds):
		st, code = http.StatusUnprocessableEntity, "insufficient_funds"
	case errors.Is(err, ErrFrozen):
		st, code = http.StatusConflict, "account_frozen"
	case errors.Is(err, ErrClosed):
		st, code = http.StatusConflict, "account_closed"
	case errors.Is(err, ErrNotEmpty):
		st, code = http.StatusConflict, "balance_not_zero"
	case errors.Is(err, ErrPassword):
		st, code = http.StatusForbidden, "wrong_password"
	case errors.Is(err, ErrLocked):
		st, code = http.StatusForbidden, "password_locked"
	case errors.Is(err, ErrNoPassword):
		st, code = http.StatusForbidden, "no_password"
	case errors.Is(err, ErrUnknownOutcome):
		st, code, msg = http.StatusServiceUnavailable, "outcome_unknown", "the outcome is not known yet; retry with the same request_no"
	default:
		return err // the gateway answers 500 and logs it
	}
	return gateway.NewError(st, code, msg, param)
}

func decode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return gateway.NewError(http.StatusBadRequest, "invalid_request", "body: "+err.Error(), "")
	}
	return nil
}

// CustomerJSON is a customer as the API shows it (never its ID number).
type CustomerJSON struct {
	ID         string       `json:"id"`
	CustomerNo string       `json:"customer_no"`
	Kind       CustomerKind `json:"kind"`
	Name       string       `json:"name"`
	Level      Level        `json:"level"`
	LevelNote  string       `json:"level_note"`
	Cards      []CardView   `json:"cards"`
	Accounts   []string     `json:"accounts"`
}

func (s *Service) customerJSON(ctx context.Context, c *Customer) (CustomerJSON, error) {
	out := CustomerJSON{ID: c.ID, CustomerNo: c.CustomerNo, Kind: c.Kind, Name: c.Name, Level: c.Level, LevelNote: c.LevelNote, Accounts: []string{}}
	var err error
	if out.Cards, err = s.Cards(ctx, c.ID); err != nil {
		return out, err
	}
	as, err := s.cfg.Store.PaymentAccounts(ctx, c.ID)
	for _, a := range as {
		out.Accounts = append(out.Accounts, a.ID)
	}
	return out, err
}

func (s *Service) apiCreateCustomer(ctx context.Context, m *gateway.Merchant, _ *http.Request, body []byte) (int, any, error) {
	var req struct {
		CustomerNo string       `json:"customer_no"`
		Kind       CustomerKind `json:"kind"`
		Name       string       `json:"name"`
		IDNo       string       `json:"id_no"`
	}
	if err := decode(body, &req); err != nil {
		return 0, nil, err
	}
	c, err := s.CreateCustomer(ctx, m.ID, CustomerRequest{CustomerNo: req.CustomerNo, Kind: req.Kind, Name: req.Name, IDNo: req.IDNo})
	if err != nil {
		return 0, nil, apiError(err)
	}
	v, err := s.customerJSON(ctx, c)
	return http.StatusCreated, v, err
}

func (s *Service) apiGetCustomer(ctx context.Context, m *gateway.Merchant, r *http.Request, _ []byte) (int, any, error) {
	c, err := s.Customer(ctx, m.ID, mux.Vars(r)["id"])
	if err != nil {
		return 0, nil, apiError(err)
	}
	v, err := s.customerJSON(ctx, c)
	return http.StatusOK, v, err
}

func (s *Service) apiRaiseLevel(ctx context.Context, m *gateway.Merchant, r *http.Request, body []byte) (int, any, error) {
	var req struct {
		Level    Level  `json:"level"`
		Operator string `json:"operator"`
		Note     string `json:"note"`
	}
	if err := decode(body, &req); err != nil {
		return 0, nil, err
	}
	c, err := s.RaiseLevel(ctx, m.ID, mux.Vars(r)["id"], req.Level, req.Operator, req.Note)
	if err != nil {
		return 0, nil, apiError(err)
	}
	v, err := s.customerJSON(ctx, c)
	return http.StatusOK, v, err
}

func (s *Service) apiAddUser(ctx context.Context, m *gateway.Merchant, r *http.Request, body []byte) (int, any, error) {
	var req struct {
		BusinessLine string `json:"business_line"`
		Login        string `json:"login"`
	}
	if err := decode(body, &req); err != nil {
		return 0, nil, err
	}
	u, err := s.AddUser(ctx, m.ID, mux.Vars(r)["id"], req.BusinessLine, req.Login)
	if err != nil {
		return 0, nil, apiError(err)
	}
	return http.StatusCreated, map[string]string{"id": u.ID, "customer_id": u.CustomerID, "business_line": u.BusinessLine, "login": u.Login}, nil
}

// AccountJSON is a payment account with its ledger balances (minor units).
type AccountJSON struct {
	ID         string      `json:"id"`
	CustomerID string      `json:"customer_id"`
	Kind       AccountKind `json:"kind"`
	Currency   string      `json:"currency"`
	State      State       `json:"state"`
	Available  int64       `json:"available"`
	Frozen     int64       `json:"frozen"`
	LedgerID   int64       `json:"ledger_account"`
	FrozenID   int64       `json:"ledger_frozen_account"`
}

func accountJSON(v *AccountView) AccountJSON {
	return AccountJSON{ID: v.ID, CustomerID: v.CustomerID, Kind: v.Kind, Currency: string(v.Currency), State: v.State,
		Available: v.Available.Minor(), Frozen: v.Frozen.Minor(), LedgerID: v.LedgerID, FrozenID: v.FrozenLedgerID}
}

func (s *Service) apiOpenAccount(ctx context.Context, m *gateway.Merchant, r *http.Request, body []byte) (int, any, error) {
	var req struct {
		Kind     AccountKind `json:"kind"`
		Currency string      `json:"currency"`
	}
	if err := decode(body, &req); err != nil {
		return 0, nil, err
	}
	a, err := s.OpenAccount(ctx, m.ID, mux.Vars(r)["id"], req.Kind, money.Currency(req.Currency))
	if err != nil {
		return 0, nil, apiError(err)
	}
	v, err := s.view(ctx, a)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, accountJSON(v), nil
}

func (s *Service) apiSetPassword(ctx context.Context, m *gateway.Merchant, r *http.Request, body []byte) (int, any, error) {
	var req struct {
		Old      string `json:"old_password"`
		Password string `json:"password"`
	}
	if err := decode(body, &req); err != nil {
		return 0, nil, err
	}
	if err := s.SetPassword(ctx, m.ID, mux.Vars(r)["id"], req.Old, req.Password); err != nil {
		return 0, nil, apiError(err)
	}
	return http.StatusOK, map[string]bool{"password_set": true}, nil
}

// CardJSON is a card binding as the API shows it.
type CardJSON struct {
	ID     string    `json:"id"`
	State  CardState `json:"state"`
	Masked string    `json:"masked"`
	Bank   string    `json:"bank_code,omitempty"`
}

func (s *Service) apiBindCard(ctx context.Context, m *gateway.Merchant, r *http.Request, body []byte) (int, any, error) {
	var req struct {
		Channel string `json:"channel"`
		CardNo  string `json:"card_no"`
		Holder  string `json:"holder"`
		IDNo    string `json:"id_no"`
		Mobile  string `json:"mobile"`
	}
	if err := decode(body, &req); err != nil {
		return 0, nil, err
	}
	c, err := s.BindCard(ctx, m.ID, mux.Vars(r)["id"], CardRequest{Channel: req.Channel, Number: req.CardNo, Holder: req.Holder, IDNo: req.IDNo, Mobile: req.Mobile})
	if err != nil {
		return 0, nil, apiError(err)
	}
	return http.StatusCreated, CardJSON{ID: c.ID, State: c.State, Masked: c.Masked, Bank: c.BankCode}, nil
}

func (s *Service) apiConfirmCard(ctx context.Context, m *gateway.Merchant, r *http.Request, body []byte) (int, any, error) {
	var req struct {
		SMSCode string `json:"sms_code"`
	}
	if err := decode(body, &req); err != nil {
		return 0, nil, err
	}
	c, err := s.ConfirmCard(ctx, m.ID, mux.Vars(r)["id"], req.SMSCode)
	if err != nil {
		return 0, nil, apiError(err)
	}
	return http.StatusOK, CardJSON{ID: c.ID, State: c.State, Masked: c.Masked, Bank: c.BankCode}, nil
}

func (s *Service) apiGetAccount(ctx context.Context, m *gateway.Merchant, r *http.Request, _ []byte) (int, any, error) {
	v, err := s.View(ctx, m.ID, mux.Vars(r)["id"])
	if err != nil {
		return 0, nil, apiError(err)
	}
	return http.StatusOK, accountJSON(v), nil
}

// OpJSON is an operation as the API shows it.
type OpJSON struct {
	ID        string  `json:"id"`
	Kind      OpKind  `json:"kind"`
	RequestNo string  `json:"request_no"`
	State     OpState `json:"state"`
	AccountID string  `json:"account_id"`
	ToAccount string  `json:"to_account,omitempty"`
	Payee     string  `json:"payee,omitempty"`
	CardID    string  `json:"card_id,omitempty"`
	PaymentID string  `json:"payment_id,omitempty"`
	Amount    int64   `json:"amount"`
	Currency  string  `json:"currency"`
	Reason    string  `json:"reason,omitempty"`
	Operator  string  `json:"operator,omitempty"`
	HoldEntry int64   `json:"hold_entry,omitempty"`
	Entry     int64   `json:"ledger_entry,omitempty"`
	Reversal  int64   `json:"reversal_entry,omitempty"`
	CreatedAt string  `json:"created_at"`
	// Action is what the payer does next, for a top-up whose payment is pending.
	Action *gateway.ActionJSON `json:"action,omitempty"`
}

func opJSON(o *Op) OpJSON {
	return OpJSON{ID: o.ID, Kind: o.Kind, RequestNo: o.RequestNo, State: o.State, AccountID: o.AccountID, ToAccount: o.ToAccount, Payee: o.Payee,
		CardID: o.CardID, PaymentID: o.PaymentID, Amount: o.Amount.Minor(), Currency: string(o.Amount.Currency()), Reason: o.Reason, Operator: o.Operator,
		HoldEntry: o.HoldSeq, Entry: o.EntrySeq, Reversal: o.ReverseSeq, CreatedAt: o.CreatedAt.Format("2006-01-02T15:04:05Z07:00")}
}

func opAnswer(o *Op, err error) (int, any, error) {
	if err != nil {
		return 0, nil, apiError(err)
	}
	return http.StatusOK, opJSON(o), nil
}

func (s *Service) apiFreeze(ctx context.Context, m *gateway.Merchant, r *http.Request, body []byte) (int, any, error) {
	var req struct {
		RequestNo string `json:"request_no"`
		Amount    int64  `json:"amount"`
		Reason    string `json:"reason"`
		Operator  string `json:"operator"`
	}
	if err := decode(body, &req); err != nil {
		return 0, nil, err
	}
	return opAnswer(s.Freeze(ctx, m.ID, FreezeRequest{RequestNo: req.RequestNo, AccountID: mux.Vars(r)["id"], Amount: req.Amount, Reason: req.Reason, Operator: req.Operator}))
}

func (s *Service) apiUnfreeze(ctx context.Context, m *gateway.Merchant, r *http.Request, body []byte) (int, any, error) {
	var req struct {
		RequestNo       string `json:"request_no"`
		FreezeRequestNo string `json:"freeze_request_no"`
		Reason          string `json:"reason"`
		Operator        string `json:"operator"`
	}
	if err := decode(body, &req); err != nil {
		return 0, nil, err
	}
	return opAnswer(s.Unfreeze(ctx, m.ID, UnfreezeRequest{RequestNo: req.RequestNo, AccountID: mux.Vars(r)["id"], FreezeRequestNo: req.FreezeRequestNo,
		Reason: req.Reason, Operator: req.Operator}))
}

func (s *Service) apiClose(ctx context.Context, m *gateway.Merchant, r *http.Request, body []byte) (int, any, error) {
	var req struct {
		Operator string `json:"operator"`
	}
	if err := decode(body, &req); err != nil {
		return 0, nil, err
	}
	v, err := s.Close(ctx, m.ID, mux.Vars(r)["id"], req.Operator)
	if err != nil {
		return 0, nil, apiError(err)
	}
	return http.StatusOK, accountJSON(v), nil
}

// LineJSON is a statement line.
type LineJSON struct {
	Seq         int64  `json:"seq"`
	At          string `json:"at"`
	Direction   string `json:"direction"` // "in" or "out"
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	Operation   OpKind `json:"operation"`
	OpID        string `json:"op_id"`
	Entry       int64  `json:"ledger_entry"`
	VoucherKind string `json:"voucher_kind"`
	VoucherID   string `json:"voucher_id"`
	Memo        string `json:"memo"`
}

func (s *Service) apiStatement(ctx context.Context, m *gateway.Merchant, r *http.Request, _ []byte) (int, any, error) {
	q := r.URL.Query()
	limit := 0
	if l := q.Get("limit"); l != "" {
		var err error
		if limit, err = strconv.Atoi(l); err != nil {
			return 0, nil, gateway.NewError(http.StatusBadRequest, "invalid_request", "limit: not a number", "limit")
		}
	}
	p, err := s.Statement(ctx, m.ID, mux.Vars(r)["id"], q.Get("cursor"), limit)
	if err != nil {
		return 0, nil, apiError(err)
	}
	if f := q.Get("format"); f == "csv" {
		var b bytes.Buffer
		if err := WriteCSV(&b, p.Lines, q.Get("cursor") == ""); err != nil {
			return 0, nil, err
		}
		return http.StatusOK, map[string]string{"content_type": "text/csv", "csv": b.String(), "next_cursor": p.Next}, nil
	} else if f != "" && f != "json" {
		return 0, nil, gateway.NewError(http.StatusBadRequest, "invalid_request", "format: json or csv", "format")
	}
	out := struct {
		Lines []LineJSON `json:"lines"`
		Next  string     `json:"next_cursor"`
	}{Lines: []LineJSON{}, Next: p.Next}
	for _, l := range p.Lines {
		dir := "in"
		if l.Side == "D" {
			dir = "out"
		}
		out.Lines = append(out.Lines, LineJSON{Seq: l.Seq, At: l.At.Format("2006-01-02T15:04:05Z07:00"), Direction: dir, Amount: l.Amount.Minor(),
			Currency: string(l.Amount.Currency()), Operation: l.OpKind, OpID: l.OpID, Entry: l.EntrySeq, VoucherKind: l.VoucherKind, VoucherID: l.VoucherID, Memo: l.Memo})
	}
	return http.StatusOK, out, nil
}

func (s *Service) apiTopUp(ctx context.Context, m *gateway.Merchant, _ *http.Request, body []byte) (int, any, error) {
	var req struct {
		RequestNo string `json:"request_no"`
		AccountID string `json:"account_id"`
		Amount    int64  `json:"amount"`
		Method    string `json:"method"`
		Subject   string `json:"subject"`
		ClientIP  string `json:"client_ip"`
		PayerID   string `json:"payer_id"`
	}
	if err := decode(body, &req); err != nil {
		return 0, nil, err
	}
	res, err := s.TopUp(ctx, m.ID, TopUpRequest{RequestNo: req.RequestNo, AccountID: req.AccountID, Amount: req.Amount, Method: req.Method,
		Subject: req.Subject, ClientIP: req.ClientIP, PayerID: req.PayerID})
	if err != nil {
		// The gateway's own refusals (no route, blocked by risk) pass through as they are.
		return 0, nil, apiError(err)
	}
	v := opJSON(res.Op)
	if a := res.Action; a != nil {
		v.Action = &gateway.ActionJSON{Kind: string(a.Kind), QRCode: a.QRCode, URL: a.URL, HTML: a.HTML, Params: a.Params, OrderString: a.OrderString, TN: a.TN}
	}
	return http.StatusOK, v, nil
}

func (s *Service) apiTransfer(ctx context.Context, m *gateway.Merchant, _ *http.Request, body []byte) (int, any, error) {
	var req struct {
		RequestNo string `json:"request_no"`
		From      string `json:"from_account"`
		To        string `json:"to_account"`
		Amount    int64  `json:"amount"`
		Currency  string `json:"currency"`
		Memo      string `json:"memo"`
	}
	if err := decode(body, &req); err != nil {
		return 0, nil, err
	}
	return opAnswer(s.Transfer(ctx, m.ID, TransferRequest{RequestNo: req.RequestNo, From: req.From, To: req.To, Amount: req.Amount,
		Currency: money.Currency(req.Currency), Memo: req.Memo}))
}

func (s *Service) apiPay(ctx context.Context, m *gateway.Merchant, _ *http.Request, body []byte) (int, any, error) {
	var req struct {
		RequestNo string `json:"request_no"`
		AccountID string `json:"account_id"`
		Payee     string `json:"payee"`
		Amount    int64  `json:"amount"`
		Currency  string `json:"currency"`
		Password  string `json:"password"`
		Subject   string `json:"subject"`
	}
	if err := decode(body, &req); err != nil {
		return 0, nil, err
	}
	return opAnswer(s.Pay(ctx, m.ID, PaymentRequest{RequestNo: req.RequestNo, AccountID: req.AccountID, Payee: req.Payee, Amount: req.Amount,
		Currency: money.Currency(req.Currency), Password: req.Password, Subject: req.Subject}))
}

func (s *Service) apiWithdraw(ctx context.Context, m *gateway.Merchant, _ *http.Request, body []byte) (int, any, error) {
	var req struct {
		RequestNo string `json:"request_no"`
		AccountID string `json:"account_id"`
		CardID    string `json:"card_id"`
		Amount    int64  `json:"amount"`
		Password  string `json:"password"`
	}
	if err := decode(body, &req); err != nil {
		return 0, nil, err
	}
	return opAnswer(s.Withdraw(ctx, m.ID, WithdrawRequest{RequestNo: req.RequestNo, AccountID: req.AccountID, CardID: req.CardID, Amount: req.Amount, Password: req.Password}))
}

func (s *Service) apiGetWithdrawal(ctx context.Context, m *gateway.Merchant, r *http.Request, _ []byte) (int, any, error) {
	return opAnswer(s.Withdrawal(ctx, m.ID, mux.Vars(r)["request_no"]))
}
