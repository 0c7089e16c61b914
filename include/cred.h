/* SPDX-License-Identifier: MIT */
/*
 * cred: where the pass phrase of an encrypted key comes from, and
 * `ocivaultfs --check`, the report of what a profile's credentials can
 * see (docs/configuration.md, "Credentials").  Program layer: called by
 * main.c only, before anything is mounted; prints on stdout and stderr.
 */
#ifndef CRED_H
#define CRED_H

#include <stdio.h>

#include "crypto.h"
#include "sign.h"

struct ovfs_opts;
struct oci_client;
struct profile;

/* At most this many names are printed per kind by cred_check(). */
#define CRED_CHECK_NAMES 20
/* ListVaults is called for at most this many compartments. */
#define CRED_CHECK_VAULT_COMPARTMENTS 50

/*
 * The pass phrase source for an encrypted key, from the options:
 * pass_phrase_command= (sign_ask_command), pass_phrase_stdin (sign_ask_fd
 * on standard input), else the terminal when standard input is one
 * (sign_ask_tty), else none.  An explicit option wins over the profile's
 * pass_phrase, which is then forgotten (wiped).  `ask` is the callback's
 * argument and must outlive the key load.
 */
void cred_passphrase(const struct ovfs_opts *o, struct profile *prof,
		     struct sign_ask *ask, crypto_passphrase_fn *fn,
		     void **arg);

/*
 * `--check`: with the client made and the root read (`root_id`,
 * `root_name`: the tenancy or compartment= of the preflight call), print
 * profile, tenancy, region, user, endpoints, the compartments below the
 * root and the vaults in them (counts, at most CRED_CHECK_NAMES names
 * each) to `out`.  The exit status: 0 when every call succeeded, 2 when a
 * listing failed (said on `out` and in one line on stderr).
 */
int cred_check(struct oci_client *c, const struct ovfs_opts *o,
	       const struct profile *prof, const char *root_id,
	       const char *root_name, FILE *out);

#endif /* CRED_H */
