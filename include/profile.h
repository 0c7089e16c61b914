/* SPDX-License-Identifier: MIT */
/*
 * profile: read OCI config files (~/.oci/config) as the SDKs and CLI do.
 *
 * File:    the `path` argument, else $OCI_CLI_CONFIG_FILE, else
 *          $OCI_CONFIG_FILE, else ~/.oci/config (empty values are skipped;
 *          a leading '~' is expanded in each).
 * Profile: the `name` argument, else $OCI_CLI_PROFILE, else "DEFAULT".
 * Format:  INI as Python's configparser reads it (the CLI and Python SDK):
 *          "[NAME]" sections (names case-sensitive), "key = value",
 *          "key=value" or "key: value" lines (the first '=' or ':'
 *          separates), '#' and ';' comment lines (no inline comments),
 *          blank lines; keys are case-insensitive; values keep any '=' they
 *          contain; white space around keys and values is trimmed; CRLF
 *          line endings and a UTF-8 BOM are accepted.  Every profile
 *          inherits keys it lacks from [DEFAULT]; a key present with an
 *          empty value is not inherited and counts as absent.  As with
 *          configparser's strict mode, a key set twice in the profile read
 *          or in [DEFAULT], or either section appearing twice, is an error
 *          (other sections are only checked for syntax).  Lines over 8 KiB
 *          and files over 1 MiB are refused.
 * Keys:    user, fingerprint, key_file ('~' and '~user' expanded), tenancy,
 *          region (identifier such as us-ashburn-1 or short code such as
 *          iad; $OCI_REGION when absent), pass_phrase (also "passphrase"),
 *          security_token_file ('~' expanded).  Unknown keys are ignored.
 *
 * Validation: tenancy and user must be OCIDs (json_is_ocid()); fingerprint
 * must be 16 lower-case hex pairs joined by ':' (as the Python SDK checks);
 * region must be a well-formed region name (region_resolve()); key_file,
 * tenancy and region are required; user and fingerprint are required
 * unless security_token_file is set.  Error messages never quote a line's
 * text nor a pass phrase.
 *
 * Errors are one line naming the file, and the line and key when there is
 * one, e.g.
 *   profile 'PROD' not found in '/home/u/.oci/config'
 *   '/home/u/.oci/config' line 7: key 'fingerprint': not a fingerprint ...
 *   '/home/u/.oci/config': profile 'DEFAULT' has no 'tenancy'
 *
 * Ownership: all strings are owned by the profile and freed by
 * profile_release(); pass_phrase is wiped first.
 */
#ifndef PROFILE_H
#define PROFILE_H

#include <stddef.h>

enum profile_key {
	PROFILE_USER,
	PROFILE_FINGERPRINT,
	PROFILE_KEY_FILE,
	PROFILE_TENANCY,
	PROFILE_REGION,
	PROFILE_PASS_PHRASE,
	PROFILE_SECURITY_TOKEN_FILE,
	PROFILE_NKEYS
};

struct profile {
	char *path; /* config file actually read */
	char *name; /* profile name */
	char *user;
	char *fingerprint;
	char *key_file; /* '~' expanded */
	char *tenancy;
	char *region; /* as written (identifier or short code) */
	char *pass_phrase; /* secret, may be NULL */
	char *security_token_file; /* '~' expanded, may be NULL */
	/* Where each key came from: line number in the file, 0 if absent or
	 * from the environment. */
	unsigned int line[PROFILE_NKEYS];
};

#define PROFILE_INIT \
	{            \
		0    \
	}

/*
 * Resolve the config path from `opt` / environment / $HOME as above into
 * `out`.  0 or -ENAMETOOLONG / -ENOENT (no $HOME and no home directory in
 * the password database) / -ENOMEM.
 */
int profile_config_path(const char *opt, char *out, size_t n);

/* The profile name from `opt` / $OCI_CLI_PROFILE / "DEFAULT". */
const char *profile_name(const char *opt);

/*
 * Load and validate one profile.  `p` need not be initialized (its old
 * contents are not freed).  On failure, `p` is released and one line is
 * written into `why`.  0 or -ENOENT (file or profile missing), -EACCES
 * (unreadable, not a regular file), -EINVAL (malformed or invalid value,
 * missing key), -EFBIG (file over 1 MiB), -ENOMEM.  The file's text is
 * wiped after parsing (it may hold a pass phrase).
 */
int profile_load(struct profile *p, const char *path_opt, const char *name_opt,
		 char *why, size_t why_n);

/*
 * Parse config text already in memory (`path` is only used in messages;
 * `name` NULL or "" means profile_name(NULL)).  Same semantics as
 * profile_load() otherwise.
 */
int profile_parse(struct profile *p, const char *text, size_t len,
		  const char *path, const char *name, char *why, size_t why_n);

void profile_release(struct profile *p);

/*
 * Wipe and free the pass phrase (pass_phrase becomes NULL) once the key is
 * loaded: the daemon keeps the profile for its lifetime, the pass phrase
 * has no use after start-up.  NULL or no pass phrase is fine.
 */
void profile_forget_pass_phrase(struct profile *p);

/* Name of a key as written in config files ("key_file"). */
const char *profile_key_name(enum profile_key k);

#endif /* PROFILE_H */
