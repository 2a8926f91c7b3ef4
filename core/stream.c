/*
 * stream.c - which stream of the case an event belongs to (schema 10).
 *
 * A case is ingested in passes: the account where the alert fired, then
 * the other accounts and regions for the same days, then the nodes' host
 * logs.  Each pass is a stream of its own, in time order within itself but
 * interleaved in time with everything stored.  An index whose key starts
 * with the time takes such a pass at every point of the stored time range:
 * on a 10M-event store, 200,000 events of another account dirtied every
 * leaf of the dedup, actor and credential indexes (2.2 GB written, against
 * 0.2 GB into an empty store).  Keyed by (stream, ...), a pass lands in a
 * run of its own, as into an empty store (schemas 10 and 11,
 * docs/ingest-scale.md).
 *
 * The stream is a function of the record alone, so a record read twice,
 * from any file, gets the same stream and its dedup key is found again:
 * the source, and for the cloud and control-plane sources where it came
 * from, the account (from the actor's ARN) and the region.  Not the host of
 * the host-level sources (auditd, Falco, Tetragon, Tracee, sshd: their
 * ingesters say so, ING_HOST in ingest/private.h): one log
 * often carries many hosts (a central Falco or syslog), and a stream per
 * host made every commit of a follower dirty a leaf per host (the soak's
 * logs of 50 hosts each: WAL 247 MiB and a correlate run 2.1x slower at
 * the end than at the start, against 120 MiB and 1.7x).  It is a 15-bit
 * hash, so it costs two bytes in each index entry; two origins that share
 * a value are one stream to the indexes, which costs speed, never a row.
 * 0 is the stream of every event stored before schema 10 (event_insert.c
 * looks there too).
 */
#include <string.h>

#include "private.h"

/* A field of the origin, then a separator no text byte of these fields is. */
static uint64_t
origin_add(uint64_t h, const char *s, size_t n)
{
	return fnv1a_add(fnv1a_add(h, s, n), "\xff", 1);
}

/* The account of an ARN ("arn:PARTITION:SERVICE:REGION:ACCOUNT:..."), or "". */
static size_t
arn_account(const char *actor, const char **out)
{
	const char *p = actor, *end;
	int i;

	*out = "";
	if (strncmp(actor, "arn:", 4) != 0)
		return 0;
	for (i = 0; i < 4; i++) {
		p = strchr(p, ':');
		if (p == NULL)
			return 0;
		p++;
	}
	end = strchr(p, ':');
	if (end == NULL)
		return 0;
	*out = p;
	return (size_t)(end - p);
}

int64_t
store_stream_of(const struct event *ev, int host_level)
{
	uint64_t h = FNV1A_OFFSET;
	const char *acct;
	size_t n;

	if (ev->source == NULL)
		return 1;
	h = origin_add(h, ev->source, strlen(ev->source));
	if (!host_level) {
		n = ev->actor != NULL ? arn_account(ev->actor, &acct) : 0;
		h = origin_add(h, n ? acct : "", n);
		if (ev->region != NULL)
			h = origin_add(h, ev->region, strlen(ev->region));
	}
	h ^= h >> 32;
	h ^= h >> 15;
	return (int64_t)(h % 32767) + 1; /* 1..32767: never 0, the old rows' stream */
}
