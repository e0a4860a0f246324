package wallet

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/crypto/argon2"
)

// KDFParams are the argon2id parameters of payment-password hashes. Each stored hash
// carries its own, so raising them applies to passwords set afterwards and old hashes
// still verify.
type KDFParams struct {
	Time      uint32 // passes
	MemoryKiB uint32 // memory in KiB
	Threads   uint8
}

// DefaultKDF is argon2id with 19 MiB, 2 passes, 1 lane: the OWASP password-storage
// recommendation for argon2id (about 25 ms and 19 MiB per check on one core). The
// Service runs at most 4 checks at once, so hashing never takes more than 4 × 19 MiB.
var DefaultKDF = KDFParams{Time: 2, MemoryKiB: 19 * 1024, Threads: 1}

func (p KDFParams) validate() error {
	if p.Time < 1 || p.MemoryKiB < 8*uint32(max(p.Threads, 1)) || p.Threads < 1 {
		return fmt.Errorf("wallet: Config.KDF %+v: want Time >= 1, Threads >= 1, MemoryKiB >= 8 × Threads", p)
	}
	return nil
}

const saltLen, keyLen = 16, 32

// hashPassword returns "$argon2id$v=19$m=<KiB>,t=<time>,p=<threads>$<salt>$<key>" (base64
// without padding), the PHC string format.
func (s *Service) hashPassword(pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	p := s.cfg.KDF
	s.kdf <- struct{}{}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	<-s.kdf
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// checkHash reports whether pw matches the PHC string h (constant-time comparison).
func (s *Service) checkHash(h, pw string) (bool, error) {
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false, errors.New("wallet: stored password hash is not argon2id")
	}
	var p KDFParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil || p.validate() != nil || p.MemoryKiB > 1<<18 || p.Time > 16 {
		return false, errors.New("wallet: stored password hash has bad parameters")
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false, errors.New("wallet: stored password hash is not base64")
	}
	s.kdf <- struct{}{}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	<-s.kdf
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// checkPasswordRule: 6 digits (the usual Chinese payment password), not all one digit and
// not a run (123456, 654321).
func checkPasswordRule(pw string) error {
	if len(pw) != 6 {
		return fail(ErrInvalid, "password", "want 6 digits")
	}
	for _, r := range pw {
		if !unicode.IsDigit(r) || r > '9' {
			return fail(ErrInvalid, "password", "want 6 digits")
		}
	}
	same, up, down := true, true, true
	for i := 1; i < len(pw); i++ {
		same = same && pw[i] == pw[0]
		up = up && pw[i] == pw[i-1]+1
		down = down && pw[i] == pw[i-1]-1
	}
	if same || up || down {
		return fail(ErrInvalid, "password", "too easy to guess (one digit repeated or a run)")
	}
	return nil
}

// SetPassword sets the customer's payment password. Changing an existing one needs the
// current password (old), which is checked like any other try (lock-out included). The
// password is never logged or stored in the clear.
func (s *Service) SetPassword(ctx context.Context, merchantID, customerID, old, pw string) error {
	if _, err := s.Customer(ctx, merchantID, customerID); err != nil {
		return err
	}
	if err := checkPasswordRule(pw); err != nil {
		return err
	}
	st, err := s.cfg.Store.PaymentPassword(ctx, customerID)
	if err != nil {
		return err
	}
	if st.Hash != "" {
		if err := s.CheckPassword(ctx, customerID, old); err != nil {
			return err
		}
	}
	h, err := s.hashPassword(pw)
	if err != nil {
		return err
	}
	return s.cfg.Store.SetPaymentPassword(ctx, customerID, h)
}

// CheckPassword checks the customer's payment password: ErrLocked while locked out,
// ErrPassword for a wrong one (the MaxPasswordTries-th wrong one in a row locks the
// password for LockOut), ErrNoPassword when none is set.
func (s *Service) CheckPassword(ctx context.Context, customerID, pw string) error {
	st, err := s.cfg.Store.PaymentPassword(ctx, customerID)
	if err != nil {
		return err
	}
	now := s.cfg.Clock.Now()
	if now.Before(st.LockedUntil) {
		return fail(ErrLocked, "password", "locked until %s", st.LockedUntil.Format("2006-01-02T15:04:05Z07:00"))
	}
	if st.Hash == "" {
		return fail(ErrNoPassword, "password", "set one first")
	}
	ok, err := s.checkHash(st.Hash, pw)
	if err != nil {
		return err
	}
	if !ok {
		if !st.LockedUntil.IsZero() {
			// The lock-out ran out: a new series of tries begins.
			if err := s.cfg.Store.PaymentPasswordOK(ctx, customerID); err != nil {
				return err
			}
		}
		after, err := s.cfg.Store.PaymentPasswordFailed(ctx, customerID, s.cfg.MaxPasswordTries, now.Add(s.cfg.LockOut))
		if err != nil {
			return err
		}
		if now.Before(after.LockedUntil) {
			return fail(ErrLocked, "password", "wrong %d times: locked until %s", after.Failures, after.LockedUntil.Format("2006-01-02T15:04:05Z07:00"))
		}
		return fail(ErrPassword, "password", "%d of %d tries left", max(s.cfg.MaxPasswordTries-after.Failures, 0), s.cfg.MaxPasswordTries)
	}
	if st.Failures != 0 || !st.LockedUntil.IsZero() {
		return s.cfg.Store.PaymentPasswordOK(ctx, customerID)
	}
	return nil
}
