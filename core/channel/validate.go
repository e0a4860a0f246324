package channel

import (
	"fmt"

	"github.com/tongdao/tongdao/core/money"
)

// invalid builds a KindInvalidRequest error naming the field.
func invalid(channelName, op, field, format string, args ...any) *Error {
	return &Error{
		Channel: channelName,
		Op:      op,
		Kind:    KindInvalidRequest,
		Code:    "INVALID_FIELD",
		Message: field + " " + fmt.Sprintf(format, args...),
	}
}

// InvalidField returns the KindInvalidRequest error adapters give for a bad request field,
// before anything is sent: "wechat pay: INVALID_FIELD: Extra[limit_pay] must be no_credit".
func InvalidField(channelName, op, field, format string, args ...any) *Error {
	return invalid(channelName, op, field, format, args...)
}

func positive(channelName, op, field string, a money.Amount) error {
	if !a.Currency().Valid() {
		return invalid(channelName, op, field, "has no valid currency: %q", string(a.Currency()))
	}
	if !a.IsPositive() {
		return invalid(channelName, op, field, "must be positive, got %s", a)
	}
	return nil
}
