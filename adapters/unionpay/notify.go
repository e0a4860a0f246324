package unionpay

import (
	"fmt"
	"net/url"
	"time"
)

// backURLKeys returns the names of the query-string parameters of backUrl: UnionPay posts
// them back as extra form fields that are not signed, and they must be removed before
// verification (unionpay.md §3 backUrl, §8).
func backURLKeys(backURL string) ([]string, error) {
	u, err := url.Parse(backURL)
	if err != nil {
		return nil, fmt.Errorf("unionpay: field BackURL: %v", err)
	}
	var keys []string
	for k := range u.Query() {
		keys = append(keys, k)
	}
	return keys, nil
}

// decodeNotification reads a back (or front) notification: a URL-encoded form whose
// fields, less those from backUrl's query string, are verified before anything is read
// (unionpay.md §8). A field sent twice is errFormat.
func (t *trust) decodeNotification(body []byte, strip []string, now time.Time) (*verified, error) {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("notification is not a form: %w", errFormat)
	}
	for _, k := range strip {
		v.Del(k)
	}
	f := make(map[string]string, len(v))
	for k, vs := range v {
		if k == "" {
			return nil, fmt.Errorf("notification: empty field name: %w", errFormat)
		}
		if len(vs) != 1 {
			return nil, fmt.Errorf("notification: field %q sent %d times: %w", k, len(vs), errFormat)
		}
		f[k] = vs[0]
	}
	return t.verify(f, now)
}
