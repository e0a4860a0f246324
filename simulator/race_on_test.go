//go:build race

package simulator_test

// raceEnabled: the race detector slows net/http several times over, so wall-clock load
// tests scale down under it.
const raceEnabled = true
