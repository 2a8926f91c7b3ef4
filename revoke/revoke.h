/*
 * revoke.h - the public interface of revoke/: plans, apply, verify, undo
 * and the hash-chained audit trail of every attempted action.
 */
#ifndef CORDON_REVOKE_H
#define CORDON_REVOKE_H

#include "../core/core.h"

#endif
