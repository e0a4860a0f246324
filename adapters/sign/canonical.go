package sign

// CanonicalOptions selects the variant of the sorted `k=v&k=v` string a channel signs.
// The zero value sorts by key, skips empty values, excludes nothing and adds no suffix.
type CanonicalOptions struct {
	// Exclude lists keys left out of the string (e.g. "sign", "sign_type", "signature").
	Exclude []string
	// KeepEmpty keeps pairs whose value is empty as "k=" (Java getSignCheckContentV1
	// style, alipay.md §10.4); by default they are skipped.
	KeepEmpty bool
	// Suffix is appended verbatim after the joined pairs, e.g. WeChat's "&key=<API key>"
	// (wechat-v2.md §3.1 step 5). It is appended even when no pair survives.
	Suffix string
}

// WeChatCanonical is the WeChat Pay v2 rule (wechat-v2.md §3.1): everything but "sign",
// empty values skipped; sign_type participates. The caller adds "&key=..." via Suffix or
// uses WeChatSign, which does it without allocating.
func WeChatCanonical() CanonicalOptions { return CanonicalOptions{Exclude: []string{"sign"}} }

// AlipayRequestCanonical is the Alipay request rule (alipay.md §4): everything but
// "sign" (sign_type included), empty values skipped.
func AlipayRequestCanonical() CanonicalOptions {
	return CanonicalOptions{Exclude: []string{"sign"}}
}

// AlipayNotifyCanonical is the Alipay notification rule (alipay.md §10.4): "sign" and
// "sign_type" excluded, empty values skipped (gopay). Set KeepEmpty for the Java SDK's
// variant.
func AlipayNotifyCanonical() CanonicalOptions {
	return CanonicalOptions{Exclude: []string{"sign", "sign_type"}}
}

// UnionPayCanonical is the UnionPay ACP rule (unionpay.md §5.1): everything but
// "signature", empty values skipped.
func UnionPayCanonical() CanonicalOptions {
	return CanonicalOptions{Exclude: []string{"signature"}}
}

// BankDirectCanonical is the tongdao bank direct-connect rule (bank-direct.md §4.3):
// every member except "sign", empty values skipped.
func BankDirectCanonical() CanonicalOptions {
	return CanonicalOptions{Exclude: []string{"sign"}}
}

// maxStackParams bounds the parameter count sorted in a stack array; larger sets are
// sorted in one heap copy.
const maxStackParams = 48

// AppendCanonical appends the canonical string of params to dst and returns the extended
// slice. params is never modified; when it is already sorted (Params.Sort, ParamsFrom*)
// it is read in place, otherwise a private copy is sorted (on the stack for up to 48
// pairs). With a dst of sufficient capacity it performs no allocation.
func AppendCanonical(dst []byte, params Params, opts CanonicalOptions) []byte {
	if !params.IsSorted() {
		var stack [maxStackParams]Param
		var tmp []Param
		if len(params) <= maxStackParams {
			tmp = stack[:len(params)]
		} else {
			tmp = make([]Param, len(params))
		}
		copy(tmp, params)
		insertionSort(tmp)
		return appendSorted(dst, tmp, &opts)
	}
	return appendSorted(dst, params, &opts)
}

// insertionSort sorts small slices by key without allocating (stable).
func insertionSort(p []Param) {
	if len(p) > maxStackParams {
		Params(p).Sort()
		return
	}
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j-1].Key > p[j].Key; j-- {
			p[j-1], p[j] = p[j], p[j-1]
		}
	}
}

func appendSorted(dst []byte, params []Param, opts *CanonicalOptions) []byte {
	first := true
	for i := range params {
		kv := &params[i]
		if kv.Value == "" && !opts.KeepEmpty {
			continue
		}
		if excluded(kv.Key, opts.Exclude) {
			continue
		}
		if !first {
			dst = append(dst, '&')
		}
		first = false
		dst = append(dst, kv.Key...)
		dst = append(dst, '=')
		dst = append(dst, kv.Value...)
	}
	return append(dst, opts.Suffix...)
}

func excluded(key string, list []string) bool {
	for _, x := range list {
		if x == key {
			return true
		}
	}
	return false
}

// Canonical returns the canonical string of params (see AppendCanonical).
func Canonical(params Params, opts CanonicalOptions) string {
	n := len(opts.Suffix)
	for _, kv := range params {
		n += len(kv.Key) + len(kv.Value) + 2
	}
	if n <= 512 {
		var stack [512]byte
		return string(AppendCanonical(stack[:0], params, opts))
	}
	return string(AppendCanonical(make([]byte, 0, n), params, opts))
}

// CanonicalMap returns the canonical string of a map (sorted copy, see AppendCanonical).
func CanonicalMap(m map[string]string, opts CanonicalOptions) string {
	return Canonical(ParamsFromMap(m), opts)
}
