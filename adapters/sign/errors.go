package sign

import "errors"

// Sentinel errors returned (wrapped with context) by this package. Match them with
// errors.Is; the wrapping message names the field, key or layout that was wrong.
var (
	// ErrBadSignature means a signature was well-formed input but did not verify, or was
	// malformed (wrong length, bad encoding). It never says which byte differed.
	ErrBadSignature = errors.New("sign: signature does not verify")
	// ErrKeyFormat means key material could not be parsed or is of the wrong kind
	// (wrong PEM type, RSA where SM2 was expected, wrong curve, point not on the curve).
	ErrKeyFormat = errors.New("sign: bad key format")
	// ErrPassword means key material is encrypted and no password, or a wrong one, was given.
	ErrPassword = errors.New("sign: missing or wrong password")
	// ErrDecrypt means a ciphertext could not be decrypted: wrong length, bad padding,
	// wrong key, failed integrity check. No plaintext is ever returned with it.
	ErrDecrypt = errors.New("sign: decryption failed")
	// ErrEncrypt means encryption failed (bad key or IV size, randomness source failed).
	ErrEncrypt = errors.New("sign: encryption failed")
	// ErrCertificate means a certificate could not be parsed or does not chain to the
	// configured roots, or fails an identity check.
	ErrCertificate = errors.New("sign: bad certificate")
	// ErrCertExpired means a certificate is outside its validity period at the time given
	// by the caller (already expired or not yet valid).
	ErrCertExpired = errors.New("sign: certificate not valid at the given time")
	// ErrInput means an argument other than a key, signature or ciphertext was invalid
	// (unknown sign type, bad options).
	ErrInput = errors.New("sign: invalid input")
)

// errorf wraps a sentinel with the name of what was being processed.
func errorf(what string, sentinel error) error {
	return &wrapped{what: what, err: sentinel}
}

type wrapped struct {
	what string
	err  error
}

// Error names what failed and the sentinel.
func (w *wrapped) Error() string { return w.what + ": " + w.err.Error() }

// Unwrap returns the sentinel.
func (w *wrapped) Unwrap() error { return w.err }
