/*
 * connectors.h - the public interface of connectors/: one const vtable per
 * provider (AWS, Kubernetes, Vault, GitHub, GCP, webhook), all HTTP through
 * one libcurl wrapper.
 */
#ifndef CORDON_CONNECTORS_H
#define CORDON_CONNECTORS_H

#include "../core/core.h"

#endif
