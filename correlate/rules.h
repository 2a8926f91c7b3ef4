/*
 * rules.h - detection rules: the file format's parsed form and matching.
 *
 * Private to correlate/.  The file format is documented in README.md
 * ("Rule files") and at the top of correlate/default.rules.
 */
#ifndef CORDON_CORRELATE_RULES_H
#define CORDON_CORRELATE_RULES_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <sqlite3.h>

#include "correlate.h"

#define RULE_MAX_FILE   ((size_t)4 << 20) /* bytes per rule file */
#define RULE_MAX_LINE   8192
#define RULE_MAX_RULES  4096
/*
 * first-seen: how much history an entity needs before a value of it counts
 * as new.  Cases often hold hours, not days: a baseline is learned from
 * whatever precedes the activity, and this only keeps an entity's very
 * first minutes (when everything it does is new) from firing.
 */
#define RULE_WARMUP_NS  ((int64_t)30 * 60 * 1000000000LL)

enum rule_class { CLASS_ESCAPE, CLASS_CREDENTIAL, CLASS_USAGE };
enum rule_sev { SEV_INFO, SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL };

/* What a signal exposes, for the incident builder (the rule's `exposes`). */
enum rule_exposes {
	EXPOSES_NONE,
	EXPOSES_NODE,        /* host escape: everything on the node */
	EXPOSES_FILE,        /* the file named by `object` */
	EXPOSES_ENV,         /* the workload's environment */
	EXPOSES_IMDS,        /* the node's instance-metadata credentials */
	EXPOSES_SA_TOKEN,    /* the workload's service-account token */
	EXPOSES_VAULT_TOKEN, /* the workload's Vault token (sink file or env) */
	EXPOSES_KUBELET,     /* the node's kubelet credentials */
};

enum cond_op {
	OP_EQ, OP_NE, OP_PREFIX, OP_SUFFIX, OP_CONTAINS, OP_IN, OP_NOT_IN,
	OP_RE, OP_NOT_RE, OP_LT, OP_LE, OP_GT, OP_GE, OP_PRESENT, OP_ABSENT,
};

/* Virtual fields computed from the normalized ones (after the ev_fields). */
enum vfield {
	VF_DST_IP = 0,  /* the address part of dst */
	VF_DST_PORT,    /* the port part of dst */
	VF_SRC_NET,     /* src_ip with the last IPv4 octet zeroed: "203.0.113.0/24" */
	VF_UA_FAMILY,   /* user_agent up to the first '/' or space */
	VF_API,         /* "source:action" (Vault: "vault:OPERATION PATH") */
	VF_SRC_KIND,    /* src_ip is: node, pod, private, public, loopback or service */
	VF_HOST_KIND,   /* host is: k8s-node (in the inventory) or unknown */
	VF_EGRESS_KNOWN, /* "yes" when $CORDON_EGRESS lists the cluster's egress */
	VF_PRINCIPAL,   /* the identity behind a session: an assumed-role session's
			 * role ARN ("arn:aws:iam::A:role/NAME"); else the actor */
	VF_SRC_OWN,     /* "yes" when src_ip is an address of the actor's own pods
			 * (by the bound token's pod uid, or by its service account) */
	VF_CRED_WORKLOAD, /* the kind of workload whose own session cred_id is:
			   * "function" for a Lambda execution-role session of a
			   * managed runtime (its SDK marks its calls), else
			   * "function-custom"; "gcp-function" for a GCP audit
			   * event made with the own token of the one Cloud Run
			   * service or Cloud Function running as its account */
	VF_DST_KIND,    /* what dst is: imds, kubelet, vault, apiserver (by the
			 * service's port), node, pod, private, public,
			 * loopback, service, or socket (a unix path) */
	VF_SRC_PROVIDER, /* a public src_ip: "google" when in Google's published
			  * ranges (provider_net.c), else "other"; absent for
			  * private and non-IP addresses */
	VF_CRED_VPC,    /* the VPC of the Lambda function whose execution-role
			 * session cred_id is (the inventory's VpcConfig.VpcId);
			 * absent for a function outside any VPC */
	VF__COUNT
};

struct cond {
	int field;          /* < ev_nfields: a stored field; else VF + ev_nfields; -1: extra path */
	char *extra_path;   /* "extra.a.b" -> "a.b" */
	enum cond_op op;
	char *value;        /* literal (owned) */
	size_t vlen;
	char **set;         /* OP_IN / OP_NOT_IN members */
	size_t nset;
	int64_t num;        /* numeric comparisons */
	pcre2_code *re;
	int cost;           /* literal checks sort before regex */
};

struct block {
	struct cond *c;
	size_t n;
};

/* Stateful part of a usage rule (optional). */
enum state_kind { STATE_NONE, STATE_FIRST_SEEN, STATE_DISTINCT, STATE_COUNT };

struct rule_state {
	enum state_kind kind;
	int value_field;   /* first-seen / distinct: the field whose values count */
	int entity_field;  /* per ENTITY */
	int64_t threshold; /* distinct / count: >= N */
	int64_t window_ns; /* within DURATION (first-seen: learning window) */
	int64_t warmup_ns; /* first-seen: history an entity needs before a value is new */
	int after_first;   /* first-seen: an entity's first value is learned whenever it
			    * comes; only a value after another one can be new */
};

struct example {
	int expect;        /* 1 match, 0 nomatch */
	char *text;        /* "field=value ..." as written */
	int line;
};

struct rule {
	char *id, *title, *file;
	int line;
	enum rule_class cls;
	enum rule_sev sev;
	enum rule_exposes exposes;
	char **attack;
	size_t nattack;
	struct block *when;
	size_t nwhen;
	struct block *unless;
	size_t nunless;
	/* first-seen only: events that match a when-block and one of these
	 * teach the baseline but never make a finding themselves (a value
	 * they saw first is known, not new) */
	struct block *quiet;
	size_t nquiet;
	struct rule_state st;
	/* judged after attribution: the workload kinds a finding's event must
	 * belong to (`within sandbox`: a WITHIN_* mask, 0 = any), and whether
	 * the process it acts on must lie outside that workload (`target
	 * outside`: ptrace and the like of a process that is not a member) */
	unsigned within;
	int target_outside;
	/* `namespace host`: a Tracee exec (its mountNamespace inode) counts
	 * only when that namespace is the host's and the event's workload a
	 * host sandbox (ns_host.c) */
	int ns_host;
	struct example *ex;
	size_t nex;
};

/* `within` kinds (struct workload's kind names). */
enum {
	WITHIN_CONTAINER = 1 << 0,
	WITHIN_POD = 1 << 1,
	WITHIN_SANDBOX = 1 << 2,
	WITHIN_FUNCTION = 1 << 3,
	WITHIN_HOST = 1 << 4,
};
/* Whether a finding of r may stand for an event of workload kind `kind`. */
int rule_admits_kind(const struct rule *r, const char *kind);

struct ruleset {
	struct rule *r;
	size_t n;
	char **sources; /* files loaded, in order */
	size_t nsources;
};

/* What the inventory says about addresses and nodes (sorted string sets),
 * and the cluster's egress addresses from $CORDON_EGRESS (IPs or a.b.c.0/24,
 * a.b.0.0/16, a.0.0.0/8 prefixes, kept as "a.b.c." text prefixes). */
/* An address range: IPv4 as ::ffff:a.b.c.d; bits counts from the 16 bytes. */
struct net_range {
	unsigned char a[16];
	unsigned bits;
};

/* provider_net.c: "a.b.c.d/n" or "x::/n" (the whole span) into a range. */
int net_range_parse(const char *s, size_t n, struct net_range *r);
int net_ranges_has(const struct net_range *r, size_t n, const char *ip);
/* The built-in table, or $CORDON_GOOGLE_RANGES (goog.json, cloud.json or
 * one CIDR per line); *cause names the file and line on error. */
int google_ranges_load(struct net_range **out, size_t *nout, char **cause);
struct known_net;
/* Whether this case's services' own calls agree with the ranges: notes in
 * google_outside the accounts whose calls came from a public network outside
 * them (twice, 10 min apart); src_provider judges an account's calls only
 * when no other account is noted. */
int google_ranges_check(sqlite3 *db, struct known_net *net);
int google_ranges_trusted(const struct known_net *net, const char *account);
/* 1 for RFC 1918, loopback, link-local, CGNAT and IPv6 ULA addresses. */
int net_ip_is_private(const char *ip);

struct known_net {
	char **node_ips, **pod_ips, **nodes;
	size_t nnode_ips, npod_ips, nnodes;
	char **egress;
	size_t negress;
	/* "IDENTITY ADDRESS" of each pod: its uid and its service account
	 * ("system:serviceaccount:NS:SA") with its address (a hostNetwork
	 * pod's is its node's), so an identity at its own pods' address is
	 * told from one used elsewhere */
	char **own;
	size_t nown;
	/* AWS keys that are functions' execution-role sessions (learned from
	 * AssumeRole by lambda.amazonaws.com): of functions whose runtime's
	 * SDK marks its calls, and of the others (custom runtimes, images,
	 * runtime unknown) */
	char **fn_sessions, **fn_custom;
	size_t nfn_sessions, nfn_custom;
	/* "KEY VPC" of each execution-role session of a VPC-attached function:
	 * a VPC function reaches AWS only through its VPC's NAT addresses and
	 * endpoints, so its public addresses are few and stable */
	char **fn_vpc;
	size_t nfn_vpc;
	/* GCP service accounts exactly one Cloud Run service or Cloud Function
	 * runs as (their tokens, from the metadata server, name no one else) */
	char **gcp_fn_accounts;
	size_t ngcp_fn_accounts;
	/* AWS keys GitHub Actions jobs obtained through OIDC (ci_job.c) */
	char **ci_sessions;
	size_t nci_sessions;
	/* Google's own address ranges (provider_net.c), and whether the
	 * case's own serverless calls contradict them */
	struct net_range *google;
	size_t ngoogle;
	/* service accounts whose own calls came from outside them */
	char **google_outside;
	size_t ngoogle_outside;
};

/* A field value source for matching: an event plus its virtual fields. */
struct match_ev {
	const struct event *ev;
	const struct known_net *net; /* may be NULL */
	const char *vf[VF__COUNT];   /* computed lazily */
	unsigned vf_done;
	char vbuf[VF__COUNT][128];
	struct json_doc extra;       /* parsed lazily */
	int extra_state;             /* 0 not parsed, 1 parsed, -1 unusable */
	struct json_tokens *toks;
	char xbuf[512];
	/* set by rule_matches(): a regex that could not answer (a PCRE2 limit
	 * on this event's value), where, and whether in an unless-block */
	int re_err;
	const struct cond *re_cond;
	int re_in_unless;
};

extern const char default_rules_text[];

void ruleset_init(struct ruleset *rs);
void ruleset_release(struct ruleset *rs);
/* Parse rules from text; errors go to *cause as "FILE:LINE: reason". */
int ruleset_parse(struct ruleset *rs, const char *name, const char *text, size_t len, char **cause);
/* Load a file or every *.rules file of a directory (sorted). */
int ruleset_load_path(struct ruleset *rs, const char *path, char **cause);
/* The shipped defaults, then --rules DIR (or $CORDON_RULES): a later rule
 * with the same id replaces an earlier one. */
int ruleset_load_default(struct ruleset *rs, const char *user_dir, char **cause);
const struct rule *ruleset_find(const struct ruleset *rs, const char *id);

void match_ev_init(struct match_ev *m, const struct event *ev, struct json_tokens *toks);
int known_net_has(char *const *set, size_t n, const char *s);
/*
 * The when/unless part of a rule (stateful parts are the engine's).  A
 * regex that hits a PCRE2 limit sets m->re_err: in a when-block the rule
 * does not match (its answer is unknown), in an unless-block the exception
 * does not apply (the finding is kept); either way the caller reports it.
 */
int rule_matches(const struct rule *r, struct match_ev *m);
/* Whether one of the rule's unless blocks holds (an allow-list applied again
 * once the event's workload is known from a join). */
int rule_excluded(const struct rule *r, struct match_ev *m);
/* Whether one of the rule's learn-only blocks holds (1), so the event
 * teaches its first-seen baseline and makes no finding. */
int rule_learn_only(const struct rule *r, struct match_ev *m);
/* What m->re_err means for rule r, as one line for a reject or a warning. */
void rule_match_error(const struct rule *r, const struct match_ev *m, char *buf, size_t cap);
/* A field's value for an event: stored, virtual or extra.*; NULL if absent. */
const char *match_field(struct match_ev *m, int field, const char *extra_path);
/* Field index by name (stored or virtual); -1 when unknown. */
int rule_field_index(const char *name);
const char *rule_field_name(int field);

/* Run a rule's examples; prints failures to f; returns the number failed. */
int rule_run_examples(const struct rule *r, FILE *f);

const char *rule_class_name(enum rule_class c);
const char *rule_sev_name(enum rule_sev s);
int rule_sev_parse(const char *s, enum rule_sev *out);

/* ci_gcp.c: a GCP audit event made by a GitHub job's federated identity
 * (workload identity federation: principal://.../subject/repo:...), its
 * own or through a service account it impersonates; its principal into
 * out, 1 when it is one. */
int ci_wif_principal(const struct event *ev, char *out, size_t cap);

#endif
