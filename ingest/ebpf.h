/*
 * ebpf.h - helpers shared by the runtime-sensor ingesters (Falco, Tetragon,
 * Tracee): network endpoints, loosely typed JSON integers and times,
 * errno outcomes and a strict-JSON-safe "extra" copy.
 *
 * All of them treat their input as hostile: every string result is copied
 * into the record's arena (NULL when absent or when the arena is full) and
 * nothing is trusted about a token beyond its span.
 */
#ifndef CORDON_INGEST_EBPF_H
#define CORDON_INGEST_EBPF_H

#include "private.h"

/*
 * "ip:port", "[ip6]:port", or ip alone when port is EV_NULL or negative.
 * NULL when ip is NULL or empty.
 */
const char *ingest_ebpf_hostport(struct ev_arena *a, const char *ip, int64_t port);

/*
 * A socket address object as Tracee prints it, in either schema:
 * {sa_family: "AF_INET"|2, sin_addr, sin_port} -> "10.0.0.1:443",
 * {sa_family: "AF_INET6"|10, sin6_addr, sin6_port} -> "[::1]:443",
 * {sa_family: "AF_UNIX"|1, sun_path} -> "/run/containerd/containerd.sock".
 * Ports may be numbers or numeric strings.  NULL when nothing usable.
 */
const char *ingest_ebpf_sockaddr(struct ev_arena *a, const struct json_doc *d, int obj);

/*
 * The remote end of a Falco connection tuple: "10.0.1.87:51514->169.254.169.254:80"
 * -> "169.254.169.254:80".  NULL when s is not a tuple.
 */
const char *ingest_ebpf_tuple_dst(struct ev_arena *a, const char *s);

/*
 * An integer given as a JSON number, a string holding one, or a protobuf
 * wrapper object {"value": N}.  CD_OK or CD_E_PARSE.
 */
int ingest_ebpf_json_int(const struct json_doc *d, int tok, int64_t *out);

/*
 * An event time: RFC 3339 string, integer nanoseconds (number or string,
 * taken as given however implausible), "seconds.fraction", or a protobuf
 * Timestamp object {"seconds": S, "nanos": N}.  CD_OK or CD_E_PARSE.
 */
int ingest_ebpf_json_time(const struct json_doc *d, int tok, int64_t *ns);

/* A scalar as text (strings decoded); NULL when absent, null, "" or a container. */
const char *ingest_ebpf_json_text(struct ev_arena *a, const struct json_doc *d, int tok);

/* Outcome of a syscall-style return value: "success", "denied" (-EPERM, -EACCES), "error". */
const char *ingest_ebpf_errno_outcome(int64_t rc);

/*
 * Outcome of a result given as text: "SUCCESS" -> "success", "EPERM"/"EACCES"
 * -> "denied", any other E<NAME> -> "error", a number -> ingest_ebpf_errno_outcome().
 * NULL when the text is none of those.
 */
const char *ingest_ebpf_errname_outcome(const char *res);

/* Longest prefix of s[0..n) of at most max bytes that does not split a UTF-8 sequence. */
size_t ingest_ebpf_utf8_cut(const char *s, size_t n, size_t max);


/*
 * Copy a JSON value into the event's extra object: strings decoded and
 * re-escaped, other values compacted (whitespace outside strings removed)
 * when strict JSON, else as a string of their text.  Absent, null, "", []
 * and {} values are skipped, and so are values of more than 16 KiB of JSON
 * text (bounded extra, bounded arena use).
 */
void ingest_ebpf_extra_value(struct ingest_ctx *ctx, const char *key, const struct json_doc *d,
			     int tok);

#endif
