package wallet

import (
	"strings"
	"testing"
)

// FuzzCheckHash: a stored password hash is read back from the database, which someone may
// have edited; no content may panic the check or make a wrong password pass.
func FuzzCheckHash(f *testing.F) {
	s := &Service{cfg: Config{KDF: KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}}, kdf: make(chan struct{}, 1)}
	good, err := s.hashPassword("135790")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, "135790")
	f.Add(good, "135791")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$$", "x")
	f.Add("$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA", "x")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, stored, pw string) {
		ok, err := s.checkHash(stored, pw)
		if err != nil && ok {
			t.Fatalf("error %v with a match", err)
		}
		if ok && stored == good && pw != "135790" {
			t.Fatalf("%q matches the hash of 135790", pw)
		}
	})
}

// FuzzPasswordRule: only 6 ASCII digits that are neither one digit repeated nor a run pass.
func FuzzPasswordRule(f *testing.F) {
	for _, s := range []string{"135790", "123456", "111111", "12345", "１２３４５６", "13579a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pw string) {
		if checkPasswordRule(pw) != nil {
			return
		}
		if len(pw) != 6 || strings.Trim(pw, "0123456789") != "" {
			t.Fatalf("%q passed the rule", pw)
		}
	})
}
