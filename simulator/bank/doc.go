// Package bank is the server side of tongdao's bank direct-connect quick pay ("BDC") for
// the simulator: POST /bdc/gateway with the JSON envelope signed with SM2 (canonical
// string of the sorted members), card data in an SM4 digital envelope whose session key
// is wrapped with the bank's SM2 key, and GET /bdc/files/{fileId}?token= for statement
// files. It is written from the wire reference (shared/specs/bank-direct.md, cited as §n
// in comments) independently of any client: it imports only the leaves, adapters/sign and
// the simulator, never adapters/bank.
//
// # What it simulates
//
//   - The issuer: cards with holder name, ID number, reserved mobile, type (DC/CC),
//     balance and status (DemoCards; GET/POST /_sim/bank/cards).
//   - Binding: BIND_APPLY checks the 4 elements (6 for credit cards) and "sends" an SMS
//     code, readable at GET /_sim/bank/sms?merchant=&bind_no= (111111 is always
//     accepted, 000000 never); BIND_SMS_RESEND (60 s apart, 5 per application),
//     BIND_CONFIRM (5 wrong codes void the application; codes live 5 minutes,
//     applications 10), UNBIND (idempotent), BIND_QUERY. An already bound card answers
//     3006 with the existing protocolNo.
//   - Money: PAY (synchronous, debits the card), PAY_QUERY, REFUND (same clearing day: at
//     once; later: PROCESSING then SUCCESS after Config.RefundDelay), REFUND_QUERY, PAYOUT
//     (PROCESSING, final after Config.PayoutDelay; payouts to a card marked
//     return_payouts are RETURNED a day later, or on POST /_sim/bank/payouts/return),
//     PAYOUT_QUERY, BALANCE_QUERY of the merchant's payout account.
//   - reqSerial replay (§9): the same serial with the same decrypted content answers the
//     stored result again with a fresh respTime and signature; different content 1003; a
//     business number reused under another serial 1005; 9001 answers are not stored.
//   - Notifications (§10) of final states to notifyUrl, signed by the bank, acknowledged
//     by the body "OK", resent after +15 s, 1 min, 5 min, 15 min, 30 min, 1 h, 2 h, 6 h.
//   - Statements (§11): STMT_APPLY renders the clearing day's file (H/D/T lines, gzip,
//     SM3 of the gzip in the signed answer, one-time token valid 30 minutes), available
//     from 06:00 the next day (4006 before).
//   - Every engine fault kind: timeouts before/after processing, resets, 5xx, malformed
//     and truncated bodies, bad response signatures, business codes (SYSTEM_ERROR → 9999,
//     RATE_LIMITED → 9001, INSUFFICIENT_FUNDS → 2001, DECLINED → 2006, NOT_FOUND → 4001,
//     INVALID_REQUEST → 1002, USER_PAYING → 0001, or any 4-digit code as is), callback
//     faults on PAY_RESULT / REFUND_RESULT / PAYOUT_RESULT, statement faults.
//
// Per-merchant wire variants (§5.4: SM2 user ID, DER or raw signatures, base64 or hex,
// SM2 ciphertext layout, SM4 mode, expiry and time formats) are the merchant's Profile.
//
// Card numbers, ID numbers and mobiles never appear in answers, records, logs or
// statements other than masked (first 6 + last 4 for cards).
package bank
