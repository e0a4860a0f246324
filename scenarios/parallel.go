package scenarios

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// ErrUnreachable is wrapped by Run's error when a remote simulator cannot be reached (or
// does not answer as one), so a caller can tell it from a bad file or a failed scenario:
// errors.Is(err, ErrUnreachable).
var ErrUnreachable = errors.New("scenarios: simulator unreachable")

// runAll runs the scenarios on opts.Parallel workers and returns the results in list
// order. In process each scenario builds its own simulator, so workers share nothing;
// remote workers each own one simulator (a shard) and a notify path prefix.
func runAll(ctx context.Context, list []*Scenario, opts *Options, served map[string]bool, rc *remoteCollector) []Result {
	workers := opts.Parallel
	if workers < 1 {
		workers = 1
	}
	if opts.SimURL != "" && !opts.namespaces && workers > 1+len(opts.MoreSimURLs) {
		workers = 1 + len(opts.MoreSimURLs)
	}
	if workers > len(list) {
		workers = len(list)
	}
	out := make([]Result, len(list))
	done := make([]bool, len(list))
	if workers <= 1 {
		for i, sc := range list {
			out[i], done[i] = runScenario(ctx, sc, opts, served, rc), true
			if ctx.Err() != nil {
				break
			}
		}
		return finished(out, done)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wopts := *opts
		wopts.worker = w
		if opts.SimURL != "" && !opts.namespaces && w > 0 {
			wopts.SimURL = opts.MoreSimURLs[w-1]
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], done[i] = runScenario(ctx, list[i], &wopts, served, rc), true
			}
		}()
	}
	for i := range list {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return finished(out, done)
}

// finished keeps the results of the scenarios that ran, in order (an interrupted run
// stops early).
func finished(out []Result, done []bool) []Result {
	res := out[:0]
	for i := range out {
		if done[i] {
			res = append(res, out[i])
		}
	}
	return res
}

// checkShards makes sure every further remote simulator is reachable and serves what
// the first one serves, so a scenario's verdict does not depend on the shard it lands on.
func checkShards(ctx context.Context, opts *Options, served map[string]bool) error {
	if opts.SimURL == "" || opts.namespaces || len(opts.MoreSimURLs) == 0 || opts.Parallel <= 1 {
		return nil
	}
	for _, u := range opts.MoreSimURLs {
		o := *opts
		o.SimURL = u
		s, err := servedChannels(ctx, &o)
		if err != nil {
			return err
		}
		if !sameSet(s, served) {
			return fmt.Errorf("scenarios: the simulators serve different channels (%s: %s; %s: %s); run the same build on every shard",
				opts.SimURL, setText(served), u, setText(s))
		}
	}
	return nil
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func setText(m map[string]bool) string {
	var l []string
	for k := range m {
		l = append(l, k)
	}
	sort.Strings(l)
	return strings.Join(l, ",")
}

// workerPrefix is the notify path prefix of a remote worker ("" for the first, so a
// serial run's notify URLs are unchanged).
func workerPrefix(w int) string {
	if w == 0 {
		return ""
	}
	return "/w" + strconv.Itoa(w)
}

// splitWorker takes a worker prefix off a notify path.
func splitWorker(p string) (int, string, bool) {
	rest, ok := strings.CutPrefix(p, "/w")
	if !ok {
		return 0, p, true
	}
	num, tail, _ := strings.Cut(rest, "/")
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 {
		return 0, "", false
	}
	return n, "/" + tail, true
}
