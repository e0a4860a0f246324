// Package risk decides whether a payment may proceed: it implements gateway.Risk with
// verdicts allow, challenge (the payer must pass the SMS step) and block, each naming the
// rule that fired.
//
// Rules are data (typed conditions, written in YAML; see File): every condition of a rule
// must hold for it to fire. Rules whose verdict is allow (allow-lists) are evaluated
// first and end the assessment; then every other rule is evaluated and the strongest
// verdict wins (block over challenge), the first such rule in file order naming it. A rule
// in shadow mode is evaluated and recorded in the case log but never decides.
//
// Conditions: membership of the user, card fingerprint, device, IP or merchant in a named
// list; amount over a limit; method and merchant filters; velocity (count and amount per
// user, card, IP or device over a sliding window, exact to the nanosecond on the clock
// given); binding (cards bound per user, bind attempts per card in a window, a card bound
// less than a duration ago).
//
// Velocity state lives in a VelocityStore: MemoryVelocity (default, per process) or
// RedisVelocity (shared by several gateway processes, exact under concurrency: one Lua
// script per assessment adds the event and reads every window atomically). Every
// assessment counts as an event, blocked ones included: velocity measures attempts.
package risk
