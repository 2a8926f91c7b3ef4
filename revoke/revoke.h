/*
 * revoke.h - the public interface of revoke/: plans, apply, verify, undo
 * and the hash-chained audit trail of every attempted action.
 *
 *   cmd_revoke.c  `cordon revoke` subcommands: plan, apply, undo, one-liners
 *   runopts.c     the options apply, undo and the one-liners share
 *   cmd_audit.c   `cordon audit verify|list`
 *   plan.c        plans: from an incident's report, to and from JSON, ordering
 *   exec.c        running steps: a bounded thread pool, results to one writer
 *   audit.c       the actions table: append (hash-chained), verify, list
 *   output.c      results as a table or JSON
 */
#ifndef CORDON_REVOKE_H
#define CORDON_REVOKE_H

#include "../core/core.h"

extern const struct cmd_entry cmd_revoke_entry;
extern const struct cmd_entry cmd_audit_entry;

#endif
