package risk

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisVelocity is the VelocityStore shared by several gateway processes. Each key is a
// sorted set of "id:amount" members scored by time in microseconds; one Lua script per
// Record prunes, adds and reads every window of every key atomically (Redis runs a script
// alone), so concurrent payments on several processes are counted exactly, with one round
// trip per assessment. Window edges are exact to the microsecond. Keys expire one second
// after their longest window. On Redis Cluster all of one assessment's keys must hash to
// one slot (use a Prefix with a {hash tag}).
type RedisVelocity struct {
	Client redis.Scripter
	Prefix string // prepended to every key, default "tongdao:risk:"
}

// The script receives every bound as a decimal string computed in Go: Lua 5.1 prints large
// numbers with 14 significant digits, which would move window edges.
var recordScript = redis.NewScript(`
local member = ARGV[2] .. ':' .. ARGV[3]
local out = {}
local a = 4
for i, key in ipairs(KEYS) do
  local nw = tonumber(ARGV[a])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[a + 1])
  redis.call('ZADD', key, ARGV[1], member)
  redis.call('PEXPIRE', key, ARGV[a + 2])
  a = a + 3
  for j = 1, nw do
    local evs = redis.call('ZRANGEBYSCORE', key, '(' .. ARGV[a], '+inf')
    a = a + 1
    local sum = 0
    for _, m in ipairs(evs) do sum = sum + tonumber(string.match(m, ':(%-?%d+)$')) end
    out[#out + 1] = #evs
    out[#out + 1] = sum
  end
end
return out
`)

// Record implements VelocityStore.
func (r *RedisVelocity) Record(ctx context.Context, id string, amount int64, at time.Time, counters []Counter) error {
	if len(counters) == 0 {
		return nil
	}
	prefix := r.Prefix
	if prefix == "" {
		prefix = "tongdao:risk:"
	}
	keys := make([]string, len(counters))
	args := make([]any, 0, 3+len(counters)*7)
	now := at.UnixMicro()
	args = append(args, strconv.FormatInt(now, 10), id, amount)
	for i := range counters {
		keys[i] = prefix + counters[i].Key
		var longest time.Duration
		for _, w := range counters[i].Windows {
			longest = max(longest, w)
		}
		// nw, prune bound (inclusive), expiry in ms, then each window's exclusive lower bound.
		args = append(args, len(counters[i].Windows), strconv.FormatInt(now-longest.Microseconds(), 10), longest.Milliseconds()+1000)
		for _, w := range counters[i].Windows {
			args = append(args, strconv.FormatInt(now-w.Microseconds(), 10))
		}
	}
	res, err := recordScript.Run(ctx, r.Client, keys, args...).Int64Slice()
	if err != nil {
		return fmt.Errorf("risk: redis velocity: %w", err)
	}
	k := 0
	for i := range counters {
		c := &counters[i]
		if cap(c.Totals) < len(c.Windows) {
			c.Totals = make([]Totals, len(c.Windows))
		}
		c.Totals = c.Totals[:len(c.Windows)]
		for j := range c.Windows {
			if k+1 >= len(res) {
				return fmt.Errorf("risk: redis velocity: script answered %d numbers, want more", len(res))
			}
			c.Totals[j] = Totals{Count: res[k], Amount: res[k+1]}
			k += 2
		}
	}
	return nil
}

// eventID makes a Record id unique per assessment.
func eventID(merchant, orderNo string, at time.Time) string {
	return merchant + "/" + orderNo + "/" + strconv.FormatInt(at.UnixNano(), 36)
}
