package recon

import "context"

// pipeBatch is how many records travel between the reading and the matching goroutine at
// once; three batches exist per pipe, so a pipe holds at most 3 × pipeBatch records.
const pipeBatch = 1024

// pipe runs produce on its own goroutine and consume on the caller's, handing records over
// in batches: reading a side (parsing a statement, scanning rows from the database) and
// matching it overlap on two cores. emit copies the record; produce may reuse it. The first
// error of either side stops both and is returned (consume's first).
func pipe[T any](ctx context.Context, produce func(ctx context.Context, emit func(*T) error) error, consume func(*T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	full := make(chan []T, 2)
	free := make(chan []T, 3)
	for range 3 {
		free <- make([]T, 0, pipeBatch)
	}
	var perr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(full)
		buf := <-free
		send := func() error {
			select {
			case full <- buf:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case buf = <-free:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		perr = produce(ctx, func(v *T) error {
			buf = append(buf, *v)
			if len(buf) == pipeBatch {
				return send()
			}
			return nil
		})
		if perr == nil && len(buf) > 0 {
			select {
			case full <- buf:
			case <-ctx.Done():
				perr = ctx.Err()
			}
		}
	}()
	var cerr error
	for b := range full {
		for i := range b {
			if cerr != nil {
				break
			}
			if cerr = consume(&b[i]); cerr != nil {
				cancel()
			}
		}
		clear(b) // drop the strings the batch points to
		free <- b[:0]
	}
	<-done
	if cerr != nil {
		return cerr
	}
	return perr
}
