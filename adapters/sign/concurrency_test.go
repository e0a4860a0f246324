package sign

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
)

// TestConcurrency_DistinctIVsAndSharedKeys hammers every stateful-looking primitive from
// many goroutines: SM4-CBC with a distinct IV per goroutine (tjfoc's global IV would mix
// them, gm-crypto.md §8.1), shared SM2 keys, one shared Envelope. Run with -race.
func TestConcurrency_DistinctIVsAndSharedKeys(t *testing.T) {
	key := unhex(t, "0123456789abcdeffedcba9876543210")
	priv := sm2VecKey(t)
	env, err := NewEnvelope(EnvelopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	workers, rounds := 16, 20
	if testing.Short() {
		rounds = 5
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			iv := bytes.Repeat([]byte{byte(w)}, 16)
			pt := []byte(fmt.Sprintf("worker %02d secret payload", w))
			for i := range rounds {
				ct, err := SM4CBCEncrypt(key, iv, pt)
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(ct[:16], mustCBCFirstBlock(key, iv, pt)) {
					errs <- fmt.Errorf("worker %d: ciphertext used another goroutine's IV", w)
					return
				}
				back, err := SM4CBCDecrypt(key, iv, ct)
				if err != nil || !bytes.Equal(back, pt) {
					errs <- fmt.Errorf("worker %d: round trip: %v", w, err)
					return
				}
				sealed, err := env.SealField(pt)
				if err != nil {
					errs <- err
					return
				}
				if opened, err := env.OpenField(sealed); err != nil || !bytes.Equal(opened, pt) {
					errs <- fmt.Errorf("worker %d: envelope: %v", w, err)
					return
				}
				if i%10 == 0 { // SM2 is ~1 ms per call with tjfoc; fewer rounds
					sig, err := SignSM2(priv, pt, SM2SignOptions{Encoding: SM2SigRaw})
					if err != nil {
						errs <- err
						return
					}
					if err := VerifySM2(priv.Public(), pt, sig, SM2SignOptions{Encoding: SM2SigRaw}); err != nil {
						errs <- fmt.Errorf("worker %d: sm2: %v", w, err)
						return
					}
					ct2, err := EncryptSM2(priv.Public(), pt, SM2CipherOptions{Rand: rand.Reader})
					if err != nil {
						errs <- err
						return
					}
					if back, err := DecryptSM2(priv, ct2, SM2CipherOptions{}); err != nil || !bytes.Equal(back, pt) {
						errs <- fmt.Errorf("worker %d: sm2 decrypt: %v", w, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// mustCBCFirstBlock computes E(K, P1 xor IV) independently of SM4CBCEncrypt.
func mustCBCFirstBlock(key, iv, pt []byte) []byte {
	blk := make([]byte, 16)
	copy(blk, pt)
	for i := range blk {
		blk[i] ^= iv[i]
	}
	out, _ := sm4Block(key, blk)
	return out
}
