package router

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// LimitStore keeps per-day and per-month usage shared by several gateway processes. With
// one configured (Config.Limits), BeginAttempt reserves an account's day and month usage in
// it atomically (exact across processes), and the local counters only mirror the store's
// last answer for explanations: Decide may then list an account whose limit another process
// has just used up; BeginAttempt refuses it before anything is sent and the gateway moves
// to the next candidate.
type LimitStore interface {
	// Reserve adds amount (minor units) to account's usage of day (yyyymmdd) and month
	// (yyyymm) when it fits under perDay and perMonth (0 = no limit), atomically. It returns
	// SkipNone or the limit that refused, and the usage after the call.
	Reserve(ctx context.Context, account string, day, month int32, amount, perDay, perMonth int64) (why Skip, dayUsed, monthUsed int64, err error)
	// Release gives back a reservation of day and month.
	Release(ctx context.Context, account string, day, month int32, amount int64) error
}

// RedisLimits is the LimitStore on Redis: two counters per account (day and month keys,
// expiring after 2 and 35 days) changed by one Lua script per call, so concurrent
// reservations of several processes never overshoot a limit.
type RedisLimits struct {
	Client redis.Scripter
	Prefix string // default "tongdao:limit:"
}

var reserveScript = redis.NewScript(`
local d = tonumber(redis.call('GET', KEYS[1]) or '0')
local m = tonumber(redis.call('GET', KEYS[2]) or '0')
local a = tonumber(ARGV[1])
if tonumber(ARGV[2]) > 0 and d + a > tonumber(ARGV[2]) then return {1, d, m} end
if tonumber(ARGV[3]) > 0 and m + a > tonumber(ARGV[3]) then return {2, d, m} end
d = redis.call('INCRBY', KEYS[1], a)
redis.call('EXPIRE', KEYS[1], 172800)
m = redis.call('INCRBY', KEYS[2], a)
redis.call('EXPIRE', KEYS[2], 3024000)
return {0, d, m}
`)

var releaseScript = redis.NewScript(`
for i, k in ipairs(KEYS) do
  if redis.call('EXISTS', k) == 1 then redis.call('DECRBY', k, ARGV[1]) end
end
return 0
`)

func (r *RedisLimits) keys(account string, day, month int32) []string {
	p := r.Prefix
	if p == "" {
		p = "tongdao:limit:"
	}
	return []string{p + account + ":d:" + strconv.Itoa(int(day)), p + account + ":m:" + strconv.Itoa(int(month))}
}

// Reserve implements LimitStore.
func (r *RedisLimits) Reserve(ctx context.Context, account string, day, month int32, amount, perDay, perMonth int64) (Skip, int64, int64, error) {
	res, err := reserveScript.Run(ctx, r.Client, r.keys(account, day, month), amount, perDay, perMonth).Int64Slice()
	if err != nil || len(res) != 3 {
		return SkipNone, 0, 0, fmt.Errorf("router: redis limits of %s: %v (%d values)", account, err, len(res))
	}
	why := SkipNone
	switch res[0] {
	case 1:
		why = SkipPerDay
	case 2:
		why = SkipPerMonth
	}
	return why, res[1], res[2], nil
}

// Release implements LimitStore.
func (r *RedisLimits) Release(ctx context.Context, account string, day, month int32, amount int64) error {
	if err := releaseScript.Run(ctx, r.Client, r.keys(account, day, month), amount).Err(); err != nil {
		return fmt.Errorf("router: redis limits of %s: %w", account, err)
	}
	return nil
}
