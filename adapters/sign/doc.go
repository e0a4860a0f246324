// Package sign holds the signing and crypto primitives every tongdao channel uses, shared
// by the adapters and the simulator. It depends only on the standard library,
// github.com/tjfoc/gmsm (hidden behind this package's own types) and golang.org/x/crypto.
package sign
