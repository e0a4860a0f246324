// Package audit is an append-only, hash-chained audit log: who did what to which account,
// when, from where and with what result. Every record carries the hash of the record before
// it and its own hash (SHA-256 over its fields, encoded as the ledger encodes its entries),
// and the store keeps the head of the chain (the last record's sequence number and hash) in
// the same transaction as the records, as an anchor. Verify walks the log and names the
// first record that was edited, deleted, reordered or cut off the tail.
//
// What it proves and what it does not: an insider who edits, deletes, reorders or truncates
// rows with SQL is caught, because the hashes no longer link or the head points past the
// end. An insider who rewrites every record after the change and the head too is caught only
// by a head exported earlier (Head, kept out of the database's reach, passed back to Verify
// as an anchor), as the ledger's exported seals catch a rewritten journal.
//
// Writes are group-committed: Append hands its record to the log's single writer, which
// chains whatever has queued up since the last commit and stores it in one transaction, so
// a thousand audited requests a second cost far fewer than a thousand commits. Append
// returns only after the commit that holds its record, so a returned record is durable,
// and the chain's order is the order in which the writer took the records. Several
// processes may append to one database: the store moves the head only from the head the
// writer last saw, and a writer that lost the race re-reads the head and chains again.
package audit
