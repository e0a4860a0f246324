//go:build race

package gateway_test

// raceEnabled reports a race-detector build: the 10,000-payment routing test then runs in
// `make crash`'s detector-free pass instead.
const raceEnabled = true
