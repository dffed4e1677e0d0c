// Package pipeline is hoso's domain: documents and batches, the states a
// document passes through, the stages that move it, the errors a clerk may
// read, and the Store that keeps it all.
//
// # Lifecycle
//
// A clerk uploads a batch. Each accepted file becomes a Document in state
// received, its original kept once in the blob store under its SHA-256, and
// an extract job is queued in the same transaction as the document row.
//
//	received ──extract──► extracted ──classify──► classified ──detect──► checked ──index──► indexed
//	    │                     │                        │                     │
//	    └─────────────────────┴────────────────────────┴─────────────────────┴──► failed
//
// Every arrow is a River job kind (extract, classify, detect) or, for the
// last one, the indexer tailing the change feed. A stage writes its result
// and inserts the next job in one transaction, and only while the document
// is still in the state the stage expects; so a crash between two stages
// never loses a step, and a job that runs again after a crash (River
// retries a job whose completion it had not recorded) changes nothing.
//
// Indexed means that a search node's index holds the document as it is
// now. Every serve node keeps an index of its own and reads the change
// feed from its own FeedPosition; the feed is read in the order of the
// transactions that wrote it and only below the oldest one still in
// flight, so no node ever steps over an entry that commits late.
//
// A document that cannot be processed ends in failed with the Stage that
// gave up, an error code (ECORRUPT, EENCRYPTED, ETIMEOUT, ...) and a Reason
// written for the clerk ("The PDF is damaged."). A file that crashes the
// extraction sandbox more than once is quarantined (code EQUARANTINED)
// instead of being retried forever.
//
// Files refused before they become documents (a zip-slip path, a zip bomb,
// a file over the size limit) are recorded as a Rejection of the batch with
// the file's name and the reason; nothing uploaded disappears silently.
//
// An exact duplicate (same SHA-256 as an earlier document) is stored once
// in the blob store, gets its own document row and carries DuplicateOf, the
// ID of the first document with those bytes.
//
// Terminal states are checked, indexed and failed: checked means every
// stage has run; indexed means the search index has it too.
package pipeline
