/* SPDX-License-Identifier: MIT */
/* cred: pass phrase sources and `--check`; see include/cred.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "cred.h"
#include "oci.h"
#include "ovfs.h"
#include "profile.h"
#include "region.h"
#include "banned.h"

void cred_passphrase(const struct ovfs_opts *o, struct profile *prof,
		     struct sign_ask *ask, crypto_passphrase_fn *fn, void **arg)
{
	memset(ask, 0, sizeof(*ask));
	*arg = ask;
	if (o->pass_phrase_command) {
		ask->command = o->pass_phrase_command;
		*fn = sign_ask_command;
	} else if (o->pass_phrase_stdin) {
		ask->fd = STDIN_FILENO;
		*fn = sign_ask_fd;
	} else {
		*fn = isatty(STDIN_FILENO) ? sign_ask_tty : NULL;
		*arg = NULL;
		return;
	}
	/* crypto_key_load() prefers a configured pass phrase to asking */
	profile_forget_pass_phrase(prof);
}

/* A display name on one line: control characters become '?'. */
static void put_name(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

/* ", ... and N more" after the first CRED_CHECK_NAMES names. */
static void put_more(FILE *out, size_t n)
{
	if (n > CRED_CHECK_NAMES)
		fprintf(out, ", ... and %zu more", n - CRED_CHECK_NAMES);
}

static void put_auth(struct oci_client *c, const struct profile *prof,
		     FILE *out)
{
	char when[32];
	int64_t exp;

	if (!oci_client_is_session(c)) {
		fprintf(out, "auth: API key %s, fingerprint %s\n",
			prof->key_file, prof->fingerprint);
		fprintf(out, "user: %s\n", prof->user);
		return;
	}
	exp = oci_client_session_exp(c);
	fprintf(out, "auth: session token %s, key %s",
		prof->security_token_file, prof->key_file);
	if (exp && !clock_rfc3339(exp, when, sizeof(when)))
		fprintf(out, ", expires %s", when);
	fputc('\n', out);
	fprintf(out, "user: %s\n",
		prof->user ? prof->user : "(the session token's)");
}

static void put_endpoints(struct oci_client *c, FILE *out)
{
	static const struct {
		enum region_service svc;
		const char *name;
	} svcs[] = {
		{REGION_SVC_IDENTITY, "identity"},
		{REGION_SVC_KMS, "kms"},
		{REGION_SVC_OBJECTSTORAGE, "objectstorage"},
		{REGION_SVC_WORKREQUESTS, "workrequests"},
	};

	fputs("endpoint:", out);
	for (size_t i = 0; i < sizeof(svcs) / sizeof(*svcs); i++)
		fprintf(out, "%s %s %s", i ? "," : "", svcs[i].name,
			oci_client_endpoint(c, svcs[i].svc));
	fputc('\n', out);
}

/* One failed listing: on `out` and in one line on stderr. */
static void list_failed(const char *what, const struct oci_error *err,
			FILE *out)
{
	char line[1024];

	oci_error_format(err, line, sizeof(line));
	fprintf(out, "%s: cannot list: %s\n", what, line);
	fprintf(stderr, "ocivaultfs: --check: cannot list %s: %s\n", what,
		line);
}

/* The vaults of the root and of the first compartments; 0 or -errno. */
static int put_vaults(struct oci_client *c, const char *root_id,
		      const struct oci_compartment_list *comps, FILE *out)
{
	struct oci_vault_list vaults = {0};
	struct oci_error err;
	size_t ncomp = 0, shown = 0;
	int ret = 0;

	for (size_t i = 0; i <= comps->n && i <= CRED_CHECK_VAULT_COMPARTMENTS;
	     i++) {
		const char *id = i ? comps->v[i - 1].id : root_id;

		ret = oci_list_vaults(c, id, &vaults, &err);
		if (ret) {
			list_failed("vaults", &err, out);
			goto out;
		}
		ncomp++;
	}
	fprintf(out, "vaults: %zu in %zu compartment%s", vaults.n, ncomp,
		ncomp == 1 ? "" : "s");
	if (comps->n + 1 > ncomp)
		fprintf(out, " (of %zu; the others not listed)", comps->n + 1);
	for (size_t i = 0; i < vaults.n && shown < CRED_CHECK_NAMES;
	     i++, shown++) {
		fputs(shown ? ", " : ": ", out);
		put_name(out, vaults.v[i].display_name);
		if (strcmp(vaults.v[i].lifecycle_state, "ACTIVE"))
			fprintf(out, " (%s)", vaults.v[i].lifecycle_state);
	}
	put_more(out, vaults.n);
	fputc('\n', out);
out:
	oci_vault_list_release(&vaults);
	return ret;
}

int cred_check(struct oci_client *c, const struct ovfs_opts *o,
	       const struct profile *prof, const char *root_id,
	       const char *root_name, FILE *out)
{
	struct oci_compartment_list comps = {0};
	struct oci_error err;
	int status = 0;

	fprintf(out, "profile: %s (%s)\n", prof->name, prof->path);
	put_auth(c, prof, out);
	fprintf(out, "tenancy: %s", oci_client_tenancy(c));
	if (!o->compartment) {
		fputs(" (", out);
		put_name(out, root_name);
		fputc(')', out);
	}
	fputc('\n', out);
	fprintf(out, "region: %s\n", oci_client_region(c)->id);
	put_endpoints(c, out);
	if (o->compartment) {
		fprintf(out, "root: %s (", root_id);
		put_name(out, root_name);
		fputs(")\n", out);
	}
	/* The tenancy: its whole subtree; a compartment: its children (OCI
	 * takes compartmentIdInSubtree only for the tenancy). */
	if (oci_list_compartments(c, root_id, !o->compartment,
				  !o->compartment ? "ACCESSIBLE" : NULL, &comps,
				  &err)) {
		list_failed("compartments", &err, out);
		status = 2;
		goto out;
	}
	fprintf(out, "compartments: %zu%s", comps.n,
		o->compartment ? " (children of the root)" : "");
	for (size_t i = 0; i < comps.n && i < CRED_CHECK_NAMES; i++) {
		fputs(i ? ", " : ": ", out);
		put_name(out, comps.v[i].name);
	}
	put_more(out, comps.n);
	fputc('\n', out);
	if (put_vaults(c, root_id, &comps, out))
		status = 2;
out:
	oci_compartment_list_release(&comps);
	if (!status)
		fputs("check: ok\n", out);
	fflush(out);
	return status;
}
