/*
 * aws.h - what aws_config.c and aws.c share: the loaded AWS configuration.
 */
#ifndef CORDON_CONNECTORS_AWS_H
#define CORDON_CONNECTORS_AWS_H

#include "private.h"

struct aws_cfg {
	char *akid;
	char *secret;        /* wiped on free */
	char *token;         /* session token, wiped on free */
	char *userpwd;       /* "AKID:SECRET" for CURLOPT_USERPWD, wiped */
	char *token_header;  /* "X-Amz-Security-Token: ...", wiped */
	char *region;
	char *iam_url;
	char *sts_url;
	char *ca_bundle;
	char iam_scope[64];  /* "aws:amz:us-east-1:iam": all four fields, always */
	char sts_scope[64];
};

int aws_cfg_load(struct aws_cfg **out, char **cause);
void aws_cfg_free(struct aws_cfg *a);

#endif
