// Package scenarios reads declarative QA scenario files (YAML) and runs them against the
// tongdao simulator: a scenario names its start time on the simulator's virtual clock, its
// merchants, a list of steps (channel operations through a real adapter, payer actions,
// card binding with SMS codes, payouts, fault plans, clock moves, waits for callbacks,
// statement downloads) and expectations (statuses, error kinds, callback counts, simulator
// records, statement contents and totals).
//
// A scenario's target is the system under test: tongdao's adapters (the default), the
// tongdao gateway (in process, built by Options.Gateway, or at Options.GatewayURL) or any
// merchant service at Options.TargetURL that talks to the simulator; http steps call it,
// and expectations read what the simulator saw it do (record windows, acknowledgements).
//
// The format is documented in docs/SCENARIOS.md. Parse reports every problem of a file
// with file:line:col and the field's path. Run executes scenarios one after another, each
// against a fresh (in-process) or reset (remote) simulator, and returns a Result per
// scenario with the first failing expectation and a transcript. The package never imports
// an adapter: the caller hands it ChannelFactory functions (the database/sql pattern).
package scenarios
