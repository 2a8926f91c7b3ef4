/*
 * spire.c - the SPIRE connector: cut off SPIFFE identities at the SPIRE
 * server through its admin gRPC API (spire.api.server.entry.v1 and
 * agent.v1) on the server's local socket.
 *
 * Configuration: CORDON_SPIRE_SOCKET (default /tmp/spire-server/private/
 * api.sock, spire-server's -socketPath default).  A local caller is an
 * admin: no credential is sent.
 *
 *   delete-entry ID        a workload's registration entry: its SVIDs are
 *                          no longer renewed (those issued stay valid until
 *                          they expire: SPIRE has no revocation list)
 *   evict-agent SPIFFE_ID  DeleteAgent: the node agent must attest again
 *   ban-agent SPIFFE_ID    BanAgent: evicted and kept out until the ban is
 *                          lifted (its undo: DeleteAgent)
 *
 * NOT_FOUND before acting is a failure (mistyped, another server's, gone
 * before): only this store's own trail turns it into "already".
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define SPIRE_SOCKET_DEFAULT "/tmp/spire-server/private/api.sock"
#define GRPC_NOT_FOUND 5

struct spire_cfg {
	char *socket;
};

static int
spire_open(void **cdata, char **cause)
{
	const char *p = env_get("CORDON_SPIRE_SOCKET");
	struct spire_cfg *s = xcalloc(1, sizeof(*s));

	(void)cause;
	s->socket = xstrdup(p ? p : SPIRE_SOCKET_DEFAULT);
	*cdata = s;
	return CD_OK;
}

static void
spire_close(void **cdata)
{
	struct spire_cfg *s = *cdata;

	if (s != NULL) {
		free(s->socket);
		free(s);
	}
	*cdata = NULL;
}

/* "spiffe://TD/PATH" into the SPIFFEID message (trust_domain 1, path 2). */
static int
spiffe_id(const char *t, struct buf *out, struct conn_result *res)
{
	const char *td, *slash;
	struct buf td_s;
	int r;

	if (strncmp(t, "spiffe://", 9) != 0 || (slash = strchr(t + 9, '/')) == NULL ||
	    slash == t + 9 || slash[1] == '\0' || !ident_ok(t + 9, "-._/", 2048)) {
		res_detail(res, "'%s' is not a SPIFFE ID (spiffe://TRUST_DOMAIN/PATH)", t);
		return CD_E_USAGE;
	}
	td = t + 9;
	buf_init(&td_s, 512);
	r = buf_add(&td_s, td, (size_t)(slash - td)) || pb_str(out, 1, td_s.data) ||
	    pb_str(out, 2, slash);
	buf_release(&td_s);
	return r ? CD_E_USAGE : CD_OK;
}

/* A SPIFFEID message as text. */
static void
spiffe_text(struct pb m, char *out, size_t cap)
{
	struct pb_field f;
	char td[256] = "", path[512] = "";

	while (pb_next(&m, &f) == 1) {
		if (f.field == 1 && f.wire == 2)
			pb_copy_str(&f.sub, td, sizeof(td));
		else if (f.field == 2 && f.wire == 2)
			pb_copy_str(&f.sub, path, sizeof(path));
	}
	snprintf(out, cap, "spiffe://%s%s", td, path);
}

static int
entry_id_ok(const char *id, struct conn_result *res)
{
	if (!ident_ok(id, "-._", 255)) {
		res_detail(res, "'%s' is not a registration entry id", id);
		return CD_E_USAGE;
	}
	return CD_OK;
}

/* GetEntry: 1 there (info: its SPIFFE ID and parent), 0 NOT_FOUND, -1 error. */
static int
entry_get(struct conn *c, const char *id, char *info, size_t cap, struct conn_result *res)
{
	struct spire_cfg *s = c->cdata;
	struct buf m;
	struct api_out o;
	struct pb reply;
	struct pb_field f;
	char spid[600] = "?", parent[600] = "?";
	int r;

	buf_init(&m, 4096);
	pb_str(&m, 1, id);
	r = grpc_unary(c, s->socket, "spire.api.server.entry.v1.Entry/GetEntry", &m, NULL, 1, &o,
		       &reply, res);
	buf_release(&m);
	if (r == CD_OK && o.rs.grpc_status == 0) {
		while ((r = pb_next(&reply, &f)) == 1) {
			if (f.field == 2 && f.wire == 2)
				spiffe_text(f.sub, spid, sizeof(spid));
			else if (f.field == 3 && f.wire == 2)
				spiffe_text(f.sub, parent, sizeof(parent));
		}
		if (r < 0) {
			res->outcome = CONN_FAILED;
			res_detail(res, "GetEntry: the reply is not a protobuf Entry");
			http_resp_release(&o.rs);
			return -1;
		}
		if (info != NULL)
			snprintf(info, cap, "%s (parent %s)", spid, parent);
		r = 1;
	} else if (r == CD_OK && o.rs.grpc_status == GRPC_NOT_FOUND) {
		r = 0;
	} else {
		api_fail(res, &o, "GetEntry");
		r = -1;
	}
	http_resp_release(&o.rs);
	return r;
}

/* Implements conn_action::run for delete-entry. */
static int
spire_delete_entry(struct conn *c, const char *id, struct conn_result *res)
{
	struct spire_cfg *s = c->cdata;
	char info[1300] = "", shown[400];
	struct buf m;
	struct api_out o;
	struct pb reply, rs, st;
	struct pb_field f, g, h;
	int r, code = -1;

	if (entry_id_ok(id, res) != CD_OK)
		return CD_E_USAGE;
	if (!c->opts->dry_run) {
		r = entry_get(c, id, info, sizeof(info), res);
		if (r < 0)
			return CD_OK;
		if (r == 0) {
			res->outcome = CONN_FAILED;
			res_detail(res, "registration entry %s not found (NOT_FOUND): deleted before, "
					"mistyped, or another server's; cordon cannot prove it is gone",
				   id);
			snprintf(res->absent_by, sizeof(res->absent_by), "delete-entry");
			return CD_OK;
		}
	}
	buf_init(&m, 4096);
	pb_str(&m, 1, id);
	snprintf(shown, sizeof(shown), "BatchDeleteEntryRequest {ids: [\"%s\"]}", id);
	r = grpc_unary(c, s->socket, "spire.api.server.entry.v1.Entry/BatchDeleteEntry", &m, shown, 1,
		       &o, &reply, res);
	buf_release(&m);
	if (r == CD_OK && o.rs.dry_run) {
		res->outcome = CONN_DRYRUN;
		http_resp_release(&o.rs);
		return CD_OK;
	}
	if (r != CD_OK || o.rs.grpc_status != 0) {
		api_fail(res, &o, "BatchDeleteEntry");
		http_resp_release(&o.rs);
		return CD_OK;
	}
	/* results[0].status.code: the RPC is OK even when the entry is not */
	while (pb_next(&reply, &f) == 1) {
		if (f.field != 1 || f.wire != 2)
			continue;
		rs = f.sub;
		while (pb_next(&rs, &g) == 1) {
			if (g.field != 1 || g.wire != 2)
				continue;
			code = 0; /* a Status with code 0 omits the field */
			st = g.sub;
			while (pb_next(&st, &h) == 1)
				if (h.field == 1 && h.wire == 0)
					code = (int)h.v;
		}
		break;
	}
	http_resp_release(&o.rs);
	if (code != 0 && code != GRPC_NOT_FOUND) {
		res->outcome = CONN_FAILED;
		res_detail(res, "BatchDeleteEntry: entry %s: %s", id,
			   code < 0 ? "no result in the reply" : grpc_code_name(code));
		return CD_OK;
	}
	r = entry_get(c, id, NULL, 0, res);
	if (r == 0) {
		res->outcome = code == GRPC_NOT_FOUND ? CONN_ALREADY : CONN_DONE;
		res_verified(res, "entry %s %s gone (NOT_FOUND): its SVIDs are no longer renewed; those "
				  "issued stay valid until they expire",
			     id, info);
	} else if (r > 0) {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: entry %s is still registered", id);
	}
	return CD_OK;
}

/* GetAgent: 1 there (*banned), 0 NOT_FOUND, -1 error. */
static int
agent_get(struct conn *c, const struct buf *idmsg, int *banned, struct conn_result *res)
{
	struct spire_cfg *s = c->cdata;
	struct buf m;
	struct api_out o;
	struct pb reply;
	struct pb_field f;
	int r;

	*banned = 0;
	buf_init(&m, 4096);
	pb_bytes(&m, 1, idmsg->data, idmsg->len);
	r = grpc_unary(c, s->socket, "spire.api.server.agent.v1.Agent/GetAgent", &m, NULL, 1, &o,
		       &reply, res);
	buf_release(&m);
	if (r == CD_OK && o.rs.grpc_status == 0) {
		while ((r = pb_next(&reply, &f)) == 1)
			if (f.field == 6 && f.wire == 0)
				*banned = f.v != 0;
		r = r < 0 ? -1 : 1;
		if (r < 0) {
			res->outcome = CONN_FAILED;
			res_detail(res, "GetAgent: the reply is not a protobuf Agent");
		}
	} else if (r == CD_OK && o.rs.grpc_status == GRPC_NOT_FOUND) {
		r = 0;
	} else {
		api_fail(res, &o, "GetAgent");
		r = -1;
	}
	http_resp_release(&o.rs);
	return r;
}

/* Shared by evict-agent (DeleteAgent) and ban-agent (BanAgent). */
static int
spire_agent(struct conn *c, const char *target, int ban, struct conn_result *res)
{
	struct spire_cfg *s = c->cdata;
	struct buf id, m;
	struct api_out o;
	struct pb reply;
	char shown[700];
	int r, banned = 0;

	buf_init(&id, 4096);
	if (spiffe_id(target, &id, res) != CD_OK) {
		buf_release(&id);
		return CD_E_USAGE;
	}
	if (!c->opts->dry_run) {
		r = agent_get(c, &id, &banned, res);
		if (r < 0)
			goto out;
		if (r == 0) {
			res->outcome = CONN_FAILED;
			res_detail(res, "agent %s not found (NOT_FOUND): evicted before, mistyped, or another "
					"server's; cordon cannot prove it is out",
				   target);
			snprintf(res->absent_by, sizeof(res->absent_by), "evict-agent");
			goto out;
		}
		if (ban && banned) {
			res->outcome = CONN_ALREADY;
			res_verified(res, "agent %s is banned", target);
			res_undo(res, "evict-agent %s", target);
			goto out;
		}
	}
	buf_init(&m, 4096);
	pb_bytes(&m, 1, id.data, id.len);
	snprintf(shown, sizeof(shown), "%s {id: %s}", ban ? "BanAgentRequest" : "DeleteAgentRequest",
		 target);
	r = grpc_unary(c, s->socket,
		       ban ? "spire.api.server.agent.v1.Agent/BanAgent"
			   : "spire.api.server.agent.v1.Agent/DeleteAgent",
		       &m, shown, 1, &o, &reply, res);
	buf_release(&m);
	if (r == CD_OK && o.rs.dry_run) {
		res->outcome = CONN_DRYRUN;
		http_resp_release(&o.rs);
		goto out;
	}
	if (r != CD_OK || (o.rs.grpc_status != 0 && o.rs.grpc_status != GRPC_NOT_FOUND)) {
		api_fail(res, &o, ban ? "BanAgent" : "DeleteAgent");
		http_resp_release(&o.rs);
		goto out;
	}
	http_resp_release(&o.rs);
	r = agent_get(c, &id, &banned, res);
	if (ban && r == 1 && banned) {
		res->outcome = CONN_DONE;
		res_verified(res, "agent %s banned: evicted, and kept out until the ban is lifted", target);
		res_undo(res, "evict-agent %s", target);
	} else if (!ban && r == 0) {
		res->outcome = CONN_DONE;
		res_verified(res, "agent %s evicted (NOT_FOUND); it may attest again: ban it to keep it "
				  "out",
			     target);
	} else if (r >= 0) {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: agent %s is %s", target,
			   r == 0 ? "gone, not banned" : banned ? "banned" : "still attested");
	}
out:
	buf_release(&id);
	return CD_OK;
}

/* Implements conn_action::run for evict-agent. */
static int
spire_evict_agent(struct conn *c, const char *target, struct conn_result *res)
{
	return spire_agent(c, target, 0, res);
}

/* Implements conn_action::run for ban-agent. */
static int
spire_ban_agent(struct conn *c, const char *target, struct conn_result *res)
{
	return spire_agent(c, target, 1, res);
}

static const struct conn_action spire_actions[] = {
	{ .name = "delete-entry", .target_doc = "registration entry id", .phase = PHASE_REVOKE,
	  .run = spire_delete_entry },
	{ .name = "ban-agent", .target_doc = "agent SPIFFE ID", .flags = CONN_F_REVERSIBLE,
	  .phase = PHASE_QUARANTINE, .undo = "evict-agent", .run = spire_ban_agent },
	{ .name = "evict-agent", .target_doc = "agent SPIFFE ID", .phase = PHASE_QUARANTINE,
	  .run = spire_evict_agent },
	{ .name = NULL },
};

const struct connector conn_spire = {
	.name = "spire",
	.actions = spire_actions,
	.open = spire_open,
	.close = spire_close,
};
