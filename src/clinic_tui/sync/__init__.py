"""Sync with the hospital's FHIR R4 server: client, download, changes feed, upload, merge.

What the sync assumes of the server (the FHIR R4 specification, nothing more)
----------------------------------------------------------------------------
- Search with `_lastUpdated=ge<instant>` and `_sort=_lastUpdated`, answered sorted (a
  page out of order is refused: its watermark would skip records), with `next` links
  that may be offset-based (never trusted across changes: each page is a fresh search).
- `meta.lastUpdated` on every resource, stamped by the server's clock; instants may be
  compared as text by the server, so ours are written with milliseconds and a Z.
- PUT to a client-assigned id creates or updates it; `If-Match: W/"<version>"` is
  honoured on PUT (412 when stale). DELETE's If-Match is not relied on: the version is
  read and compared first (upload.py).
- A `transaction` Bundle is answered by a Bundle whose entries match ours one for one,
  each with `response.status`.

What it no longer assumes (each has a test against a real server answering that way,
tests/integration/test_server_conformance.py, through tests/netlab/server_quirks.py)
----------------------------------------------------------------------------------
- That versionIds are numbers, that "1" is a record's first version, or that a larger id
  is newer: versions are opaque and compared for equality only (versions.py). Order comes
  from `meta.lastUpdated`, the order of a history Bundle (newest first), and the answer
  to our own write (feed.py: a feed that does not list our write predates it).
- That a transaction is atomic: a server may run it entry by entry and answer HTTP 200
  over a 412 or a 400 inside. Every entry's status is read (transaction_answer.py): 2xx
  confirms, 409/412 go to the three-way merge, other 4xx quarantine that change alone,
  5xx leave it queued.
- That any bundle size is accepted: a 400 naming a size limit (Medplum: "more update
  operations than allowed") or a 413 halves the bundle, and the cap is remembered per
  server in the cache (engine.py, `upload_bundle_cap <server>`); seed-server does the same.
- That `_history` exists: system-level history is optional (an empty `searchset`, a 404
  or another Bundle type is "not supported", never "nothing changed"). Rounds then search
  per type and do not ask again for a day; without type-level history a type's server
  deletions cannot be seen. `clinic-tui status` says both (history.py).
- That a record the server holds under our client-assigned id, after an answer was lost,
  is someone else's change: the outbox keeps what each entry was sent with (schema v7),
  so our own earlier send is adopted, and is the base when the server changed it since.
"""
