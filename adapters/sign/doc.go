// Package sign holds the signing and crypto primitives every tongdao channel uses. It
// is shared by the adapters and by the simulator, so both sides are pinned to the same
// official vectors, and it depends only on the standard library, github.com/tjfoc/gmsm
// (hidden behind this package's own types, so the backend can be swapped, gm-crypto.md
// §10) and golang.org/x/crypto (PKCS#12).
//
// Every function is safe for concurrent use, never panics on outside input (the
// backend is guarded by length checks and recover), never reads the clock (validity
// checks take a now parameter) and reports failures as errors wrapping one of the
// sentinels (ErrBadSignature, ErrKeyFormat, ErrPassword, ErrDecrypt, ErrEncrypt,
// ErrCertificate, ErrCertExpired, ErrInput) for errors.Is. Signature and MAC checks
// compare in constant time.
//
// What is here, and the spec section each piece implements:
//
//   - Params, AppendCanonical, Canonical, CanonicalOptions: the sorted k=v&k=v string,
//     with presets WeChatCanonical (wechat-v2.md §3.1), AlipayRequestCanonical
//     (alipay.md §4), AlipayNotifyCanonical (alipay.md §10.4), UnionPayCanonical
//     (unionpay.md §5.1), BankDirectCanonical (bank-direct.md §4.3).
//   - WeChatSign, WeChatVerify, AppendWeChatSign: WeChat Pay v2 MD5 / HMAC-SHA256
//     (wechat-v2.md §3). DecryptWeChatRefundInfo / EncryptWeChatRefundInfo: refund
//     notification req_info, AES-256-ECB (wechat-v2.md §10).
//   - ParseRSAPrivateKey, ParseRSAPublicKey, SignRSA2, VerifyRSA2 (+Base64): Alipay RSA2
//     (alipay.md §4, §6, §10.4).
//   - AlipayCertSN, AlipayCertSNFromPEM, AlipayRootCertSN: certificate mode SNs
//     (alipay.md §5).
//   - UnionPaySignRSA / UnionPayVerifyRSA (signMethod 01, unionpay.md §5.2),
//     UnionPaySecureKeySign / Verify (11/12, §5.3), UnionPaySignSM2 / UnionPayVerifySM2
//     (21, §5.4), CertID, UnionPayCheckSignerCert and UnionPayCheckSM2SignerCert
//     (validity, root + middle chain, CN identity, §5.2 / §5.4).
//   - ParseCertificate(s), CheckValidity, VerifyCertChain: X.509 with the caller's time.
//   - SM3, SM3Hex, NewSM3, HMACSM3 (gm-crypto.md §2, §8.10); SM4CBCEncrypt/Decrypt,
//     SM4ECBEncrypt/Decrypt with strict PKCS#7 (§3, §8.1–§8.4).
//   - SM2PrivateKey, SM2PublicKey, GenerateSM2Key, ParseSM2PrivateKey (PKCS#8, SEC1,
//     encrypted PKCS#8, hex), ParseSM2PublicKey (SPKI, hex, raw); SignSM2 / VerifySM2
//     with user ID and DER or raw r‖s (§4.3); EncryptSM2 / DecryptSM2 in C1C3C2, C1C2C3,
//     ASN.1 and the no-04 variants (§4.4). SM2Certificate, ParseSM2Certificate,
//     VerifySM2CertChain, CreateSM2Certificate (§4.2, §8.6); ParseCFCASM2 /
//     MarshalCFCASM2 for CFCA ".sm2" key files (UnionPay GM keys, §4.2).
//   - Envelope, EnvelopeOptions: per-message SM4 key wrapped with SM2, fields as
//     base64(IV‖SM4-CBC) by default, with the bank-direct.md §5.4 variant knobs (SM4
//     mode, fixed IV, text encoding, SM2 layout) (bank-direct.md §5, gm-crypto.md §10).
//     EncodeText / DecodeText: base64 or hex per channel setting (gm-crypto.md §3.3).
//   - ParsePKCS12, LoadTLSCertificate, LoadTLSCertificatePKCS12: WeChat
//     apiclient_cert.p12 / UnionPay .pfx and mutual-TLS client certificates.
//
// Pinned vectors (tests): the WeChat documentation MD5/HMAC example with its sign_type
// and empty-field variants (wechat-v2.md §3.3) and the req_info vector (§10); the Alipay
// sign-content and notify strings (alipay.md §4, §10.4); Alipay cert SNs computed with
// openssl + md5sum (testdata/README.md); SM3-1..3, SM4-1..5 incl. the 10^6-iteration
// vector (skipped with -short), HMAC-1, the GM/T 0003.5 SM2 signature reproduced with a
// fixed k and its encryption in all layouts, the SM2-3/SM2-4 negatives (gm-crypto.md
// §11); UnionPay 01/11/12/21 digests (unionpay.md §5.2–§5.4); the bank-direct G1/G2
// goldens (bank-direct.md §12); RSA2, UnionPay-01 and SM2 interop vectors made with the
// OpenSSL command line (testdata/README.md).
package sign
