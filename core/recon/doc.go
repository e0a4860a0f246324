// Package recon reconciles a channel account's statement for one accounting day against the
// payments and refunds of the order store (对账).
//
// Both sides stream. The statement comes only through channel.Channel.DownloadStatement, so
// every channel is reconciled by the same code; its records go into a compact index (numbers
// and amounts packed into pointer-free blocks, the numbers in a byte arena, a hash of the
// number as the map key), never a day of StatementRecord values. The local side then streams
// from the store (payments paid on the day, refunds completed on it) and each row is looked up
// and compared; what is left unmatched in the index afterwards is the channel's alone.
//
// Every difference is an Item of one Class: amount differs, status differs, local only,
// channel only, fee differs, transaction id differs. A payment that is still pending (or
// closed, or failed) locally but succeeded on the channel is confirmed by the channel's Query
// and completed through the order's normal transition (cause "query"), as the gateway's
// query-back worker does; every other difference is an exception for a person, who resolves
// it with Resolve (confirm by query, accept with a reason, or adjust the ledger by a
// reversal and a correction entry), each resolution audited with who, when and why.
//
// Records within Window of the end of the accounting day that cannot be matched wait
// (ItemWaiting) for the next day's run instead of becoming exceptions: a payment the
// channel counts on D and the core on D+1 (a completion at 00:00:01) is matched then.
//
// A Report per day and channel account gives counts and amounts per class, the exception list
// and the balance reconciliation table (余额调节表), as text, JSON or CSV.
package recon
