// Package card holds what tongdao knows about bank cards without talking to a bank: the
// Luhn check, a BIN table of the major Chinese banks (issuer, debit or credit, length),
// masking as first 6 + last 4, and the at-rest protection of card data.
//
// At rest, the card number (PAN), the bank-reserved mobile number and the ID number are
// sealed with SM4-GCM under a key from configuration; the key's id is stored beside the
// ciphertext, so a [Keyring] can hold old keys for opening while sealing with a new one
// (rotation). A keyed HMAC-SM3 [Fingerprint] answers "is this card bound already?" without
// decrypting anything. CVN2 and expiry are never stored: [Stored], the at-rest record, has
// no field for them, and [Details], the only type that carries them, never prints,
// logs or marshals them.
//
// The package is a leaf: it imports the standard library, github.com/tjfoc/gmsm (SM3,
// SM4) and nothing else of tongdao, so a store, a gateway or an adapter can all use it.
//
// Nothing here puts a full card number, phone or ID number into an error message: errors
// name the field and the rule that failed.
package card
