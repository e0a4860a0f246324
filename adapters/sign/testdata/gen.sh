#!/bin/sh
# Regenerates the fixtures in this directory with the OpenSSL 3 command line.
# Run once; outputs are committed and pinned by the tests. See README.md.
set -eu
cd "$(dirname "$0")"

# --- RSA2 (Alipay) ---------------------------------------------------------
openssl genrsa -traditional -out rsa_pkcs1.pem 2048            # "RSA PRIVATE KEY"
openssl pkcs8 -topk8 -nocrypt -in rsa_pkcs1.pem -out rsa_pkcs8.pem
openssl rsa -in rsa_pkcs1.pem -pubout -out rsa_pub.pem
grep -v -- ----- rsa_pkcs8.pem | tr -d '\n' > rsa_pkcs8.b64  # Alipay key-tool style bare base64
grep -v -- ----- rsa_pub.pem | tr -d '\n' > rsa_pub.b64
printf '%s' 'app_id=2014072300007148&charset=UTF-8&method=alipay.trade.query&sign_type=RSA2&timestamp=2024-01-01 12:00:00&version=1.0' > rsa2_msg.txt
openssl dgst -sha256 -sign rsa_pkcs1.pem rsa2_msg.txt | base64 -w0 > rsa2_msg.sig.b64
# UnionPay 01: SHA256WithRSA over the 64 ASCII bytes of lower-hex SHA-256(canonical)
printf '%s' 'accessType=0&bizType=000000&certId=68759663125&channelType=07&encoding=UTF-8&merId=777290058110048&orderId=20240101000001&signMethod=01&txnSubType=00&txnTime=20240101120000&txnType=00&version=5.1.0' > up01_canonical.txt
printf '%s' "$(openssl dgst -sha256 -r up01_canonical.txt | cut -c1-64)" > up01_digest.txt
openssl dgst -sha256 -sign rsa_pkcs1.pem up01_digest.txt | base64 -w0 > up01.sig.b64

# --- PKI: root -> middle -> leaf (UnionPay chain, Alipay SN) --------------
openssl req -x509 -new -newkey rsa:2048 -nodes -keyout ca_root.key -out ca_root.pem -days 7300 \
  -subj '/C=CN/O=tongdao test/OU=Test CA/CN=tongdao Test Root' -sha1 \
  -set_serial 0x1001 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
openssl req -new -newkey rsa:2048 -nodes -keyout ca_middle.key -out ca_middle.csr \
  -subj '/C=CN/O=tongdao test/OU=Test CA/CN=tongdao Test Middle'
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' > ca.ext
openssl x509 -req -in ca_middle.csr -CA ca_root.pem -CAkey ca_root.key -set_serial 0x2002 \
  -sha1 -extfile ca.ext -days 7000 -out ca_middle.pem
openssl req -new -key rsa_pkcs1.pem -out leaf.csr \
  -subj '/C=CN/O=China UnionPay/OU=00040000/CN=041@Z2024-01-01@中国银联股份有限公司@00000001' -utf8
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n' > leaf.ext
openssl x509 -req -in leaf.csr -CA ca_middle.pem -CAkey ca_middle.key -set_serial 68759663125 \
  -sha256 -extfile leaf.ext -days 3650 -out up_sign.pem
rm -f ca_middle.csr leaf.csr ca.ext leaf.ext

# Alipay cert SN pin, computed independently of the Go code:
issuer=$(openssl x509 -in up_sign.pem -noout -issuer -nameopt RFC2253 | sed 's/^issuer=//')
serial=$(openssl x509 -in up_sign.pem -noout -serial | sed 's/^serial=//')
printf '%s%s' "$issuer" "$(echo "ibase=16; $serial" | bc)" | md5sum | cut -c1-32 > up_sign.alipay_sn.txt
issuer=$(openssl x509 -in ca_root.pem -noout -issuer -nameopt RFC2253 | sed 's/^issuer=//')
serial=$(openssl x509 -in ca_root.pem -noout -serial | sed 's/^serial=//')
printf '%s%s' "$issuer" "$(echo "ibase=16; $serial" | bc)" | md5sum | cut -c1-32 > ca_root.alipay_sn.txt
issuer=$(openssl x509 -in ca_middle.pem -noout -issuer -nameopt RFC2253 | sed 's/^issuer=//')
serial=$(openssl x509 -in ca_middle.pem -noout -serial | sed 's/^serial=//')
printf '%s%s' "$issuer" "$(echo "ibase=16; $serial" | bc)" | md5sum | cut -c1-32 > ca_middle.alipay_sn.txt
# A root bundle like alipayRootCert.crt: RSA root, an EC root (skipped), RSA middle.
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec_root.key \
  -out ec_root.pem -days 7300 -subj '/C=CN/O=tongdao test/CN=tongdao EC Root'
cat ca_root.pem ec_root.pem ca_middle.pem > root_bundle.pem
rm -f ec_root.key ca_root.key ca_middle.key

# --- PKCS#12 (WeChat apiclient_cert.p12, password = mch_id; UnionPay .pfx) ---
openssl pkcs12 -export -in up_sign.pem -inkey rsa_pkcs1.pem -certfile ca_middle.pem \
  -name apiclient -passout pass:10000100 \
  -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1 -out apiclient_cert.p12

# --- SM2 interop with OpenSSL 3 (gm-crypto.md §5) -------------------------
openssl genpkey -algorithm SM2 -out sm2.pem
openssl pkey -in sm2.pem -pubout -out sm2pub.pem
printf '%s' 'tongdao sm2 interop' > sm2_msg.txt
openssl pkeyutl -sign -in sm2_msg.txt -inkey sm2.pem -rawin -digest sm3 \
  -pkeyopt distid:1234567812345678 -out sm2_msg.sig.der
openssl pkeyutl -encrypt -pubin -inkey sm2pub.pem -in sm2_msg.txt -out sm2_msg.ct.der
openssl pkcs8 -topk8 -in sm2.pem -v2 aes-256-cbc -v2prf hmacWithSHA256 -passout pass:secret -out sm2_enc.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.pem
