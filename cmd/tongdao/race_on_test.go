//go:build race

package main

// raceEnabled reports a race-detector build: the crash test then kills fewer times (a
// race-built child starts and runs several times slower); `make test` also runs it without
// the detector at full strength.
const raceEnabled = true
