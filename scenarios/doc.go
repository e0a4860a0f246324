// Package scenarios reads declarative QA scenario files (YAML) and runs them against the
// tongdao simulator: a scenario names its start time on the simulator's virtual clock, its
// merchants, a list of steps (channel operations through a real adapter, payer actions,
// card binding with SMS codes, payouts, fault plans, clock moves, waits for callbacks,
// statement downloads) and expectations (statuses, error kinds, callback counts, simulator
// records, statement contents and totals).
//
// The format is documented in docs/SCENARIOS.md. Parse reports every problem of a file
// with file:line:col and the field's path. Run executes scenarios one after another, each
// against a fresh (in-process) or reset (remote) simulator, and returns a Result per
// scenario with the first failing expectation and a transcript. The package never imports
// an adapter: the caller hands it ChannelFactory functions (the database/sql pattern).
package scenarios
