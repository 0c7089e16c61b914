/* SPDX-License-Identifier: MIT */
/* profile: OCI config file (~/.oci/config) parsing and validation. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "profile.h"
#include "region.h"
#include "banned.h"

#define PROFILE_FILE_MAX (1024 * 1024)
#define PROFILE_LINE_MAX 8192
#define DEFAULT_SECTION "DEFAULT"

static const char *const key_names[PROFILE_NKEYS] = {
	[PROFILE_USER] = "user",
	[PROFILE_FINGERPRINT] = "fingerprint",
	[PROFILE_KEY_FILE] = "key_file",
	[PROFILE_TENANCY] = "tenancy",
	[PROFILE_REGION] = "region",
	[PROFILE_PASS_PHRASE] = "pass_phrase",
	[PROFILE_SECURITY_TOKEN_FILE] = "security_token_file",
};

const char *profile_key_name(enum profile_key k)
{
	return (unsigned int)k < PROFILE_NKEYS ? key_names[k] : "?";
}

/* One value as found in the text (not NUL-terminated). */
struct slot {
	const char *val;
	size_t len;
	unsigned int line; /* 0: not set */
};

/* Which section the parser is in. */
enum section {
	SEC_NONE, /* before the first header */
	SEC_OTHER, /* a profile we do not read */
	SEC_DEFAULT, /* [DEFAULT] */
	SEC_TARGET, /* the requested profile (when it is not DEFAULT) */
};

struct parser {
	const char *path;
	const char *name;
	bool target_is_default;
	unsigned int default_line; /* header line, 0 if absent */
	unsigned int target_line;
	struct slot def[PROFILE_NKEYS];
	struct slot prof[PROFILE_NKEYS];
	char *why;
	size_t why_n;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void trim(const char **s, const char **e)
{
	while (*s < *e && is_blank(**s))
		(*s)++;
	while (*e > *s && is_blank((*e)[-1]))
		(*e)--;
}

static int key_index(const char *k, size_t len)
{
	for (int i = 0; i < PROFILE_NKEYS; i++) {
		if (strlen(key_names[i]) == len &&
		    !strncasecmp(key_names[i], k, len))
			return i;
	}
	/* the Go SDK's spelling */
	if (len == 10 && !strncasecmp(k, "passphrase", len))
		return PROFILE_PASS_PHRASE;
	return -1;
}

static int parse_header(struct parser *ps, const char *s, const char *e,
			unsigned int lineno, enum section *cur)
{
	const char *n = s + 1;
	unsigned int *seen = NULL;
	size_t len;

	if (e - s < 3 || e[-1] != ']') {
		buf_fmt(ps->why, ps->why_n,
			"'%s' line %u: expected '[profile]' or 'key = value'",
			ps->path, lineno);
		return -EINVAL;
	}
	len = (size_t)(e - s) - 2;
	/* section names are case-sensitive and kept verbatim (configparser) */
	if (len == strlen(DEFAULT_SECTION) &&
	    !memcmp(n, DEFAULT_SECTION, len)) {
		*cur = SEC_DEFAULT;
		seen = &ps->default_line;
	} else if (!ps->target_is_default && len == strlen(ps->name) &&
		   !memcmp(n, ps->name, len)) {
		*cur = SEC_TARGET;
		seen = &ps->target_line;
	} else {
		*cur = SEC_OTHER;
		return 0;
	}
	if (*seen) {
		buf_fmt(ps->why, ps->why_n,
			"'%s' line %u: profile '%.*s' is defined twice (first on line %u)",
			ps->path, lineno, (int)len, n, *seen);
		return -EINVAL;
	}
	*seen = lineno;
	return 0;
}

static int parse_line(struct parser *ps, const char *s, const char *e,
		      unsigned int lineno, enum section *cur)
{
	const char *k, *ke, *v, *d;
	struct slot *slots;
	int idx;

	trim(&s, &e);
	if (s == e || *s == '#' || *s == ';')
		return 0;
	if (*s == '[')
		return parse_header(ps, s, e, lineno, cur);

	/* configparser: the first '=' or ':' separates key and value */
	for (d = s; d < e && *d != '=' && *d != ':'; d++)
		;
	k = s;
	ke = d;
	trim(&k, &ke);
	if (d == e || k == ke) {
		buf_fmt(ps->why, ps->why_n,
			"'%s' line %u: expected '[profile]' or 'key = value'",
			ps->path, lineno);
		return -EINVAL;
	}
	if (*cur == SEC_NONE) {
		buf_fmt(ps->why, ps->why_n,
			"'%s' line %u: key '%.*s' comes before any [profile] line",
			ps->path, lineno, (int)(ke - k > 64 ? 64 : ke - k), k);
		return -EINVAL;
	}
	if (*cur == SEC_OTHER)
		return 0;
	idx = key_index(k, (size_t)(ke - k));
	if (idx < 0)
		return 0; /* unknown keys are ignored, as by the SDKs */
	v = d + 1;
	trim(&v, &e);
	slots = *cur == SEC_DEFAULT ? ps->def : ps->prof;
	if (slots[idx].line) {
		/* configparser (Python SDK, CLI) refuses duplicates too */
		buf_fmt(ps->why, ps->why_n,
			"'%s' line %u: key '%s' is set twice in profile '%s' (first on line %u)",
			ps->path, lineno, key_names[idx],
			*cur == SEC_DEFAULT ? DEFAULT_SECTION : ps->name,
			slots[idx].line);
		return -EINVAL;
	}
	slots[idx].val = v;
	slots[idx].len = (size_t)(e - v);
	slots[idx].line = lineno;
	return 0;
}

/*
 * '~' and '~user' at the start of a path, as Python's os.path.expanduser
 * (which the SDKs use): unknown users leave the path unchanged.
 */
static int expand_home(const char *path, char **out)
{
	const char *rest, *home = NULL;
	struct passwd pw, *res = NULL;
	char *pwbuf = NULL, *user = NULL;
	struct buf b = BUF_INIT(PATH_MAX);
	long sz;
	int ret;

	*out = NULL;
	if (path[0] != '~') {
		*out = strdup(path);
		return *out ? 0 : -ENOMEM;
	}
	rest = strchrnul(path, '/');
	if (rest == path + 1) {
		home = getenv("HOME");
		if (home && !*home)
			home = NULL;
	}
	if (!home) {
		sz = sysconf(_SC_GETPW_R_SIZE_MAX);
		if (sz < 16384)
			sz = 16384;
		pwbuf = malloc((size_t)sz);
		user = strndup(path + 1, (size_t)(rest - path - 1));
		if (!pwbuf || !user) {
			ret = -ENOMEM;
			goto out;
		}
		if (*user)
			getpwnam_r(user, &pw, pwbuf, (size_t)sz, &res);
		else
			getpwuid_r(getuid(), &pw, pwbuf, (size_t)sz, &res);
		if (!res || !res->pw_dir || !*res->pw_dir) {
			if (!*user) {
				ret = -ENOENT;
				goto out;
			}
			home = NULL;
			rest = path;
		} else {
			home = res->pw_dir;
		}
	}
	if (!home) {
		ret = buf_adds(&b, rest);
	} else {
		ret = buf_add(&b, home, strlen(home));
		while (!ret && b.len > 1 && b.buf[b.len - 1] == '/')
			buf_setlen(&b, b.len - 1);
		if (!ret && *rest && b.len == 1 && b.buf[0] == '/')
			buf_setlen(&b, 0);
		if (!ret)
			ret = buf_adds(&b, rest);
	}
	if (ret == -EMSGSIZE)
		ret = -ENAMETOOLONG;
	if (!ret) {
		*out = buf_detach(&b, NULL);
		if (!*out)
			ret = -ENOMEM;
	}
out:
	free(pwbuf);
	free(user);
	buf_release(&b);
	return ret;
}

int profile_config_path(const char *opt, char *out, size_t n)
{
	const char *src = opt;
	char *exp = NULL;
	int ret;

	if (!src || !*src)
		src = getenv("OCI_CLI_CONFIG_FILE");
	if (!src || !*src)
		src = getenv("OCI_CONFIG_FILE");
	if (!src || !*src)
		src = "~/.oci/config";
	ret = expand_home(src, &exp);
	if (!ret)
		ret = buf_copy(out, n, exp);
	else if (n)
		out[0] = '\0';
	free(exp);
	return ret;
}

const char *profile_name(const char *opt)
{
	const char *env;

	if (opt && *opt)
		return opt;
	env = getenv("OCI_CLI_PROFILE");
	if (env && *env)
		return env;
	return DEFAULT_SECTION;
}

void profile_release(struct profile *p)
{
	if (!p)
		return;
	free(p->path);
	free(p->name);
	free(p->user);
	free(p->fingerprint);
	free(p->key_file);
	free(p->tenancy);
	free(p->region);
	buf_wipe_free(p->pass_phrase);
	free(p->security_token_file);
	memset(p, 0, sizeof(*p));
}

void profile_forget_pass_phrase(struct profile *p)
{
	if (!p)
		return;
	buf_wipe_free(p->pass_phrase);
	p->pass_phrase = NULL;
}

static char **field(struct profile *p, int k)
{
	switch (k) {
	case PROFILE_USER:
		return &p->user;
	case PROFILE_FINGERPRINT:
		return &p->fingerprint;
	case PROFILE_KEY_FILE:
		return &p->key_file;
	case PROFILE_TENANCY:
		return &p->tenancy;
	case PROFILE_REGION:
		return &p->region;
	case PROFILE_PASS_PHRASE:
		return &p->pass_phrase;
	default:
		return &p->security_token_file;
	}
}

/* "^([0-9a-f]{2}:){15}[0-9a-f]{2}$", the Python SDK's check */
static bool fingerprint_ok(const char *s)
{
	if (strlen(s) != 47)
		return false;
	for (int i = 0; i < 47; i++) {
		if (i % 3 == 2) {
			if (s[i] != ':')
				return false;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
			     (s[i] >= 'a' && s[i] <= 'f'))) {
			return false;
		}
	}
	return true;
}

/* Copy the merged values into `p`; empty values count as absent. */
static int take_values(struct parser *ps, struct profile *p)
{
	const struct slot *sl;
	char *tmp;
	int ret;

	for (int k = 0; k < PROFILE_NKEYS; k++) {
		sl = ps->prof[k].line ? &ps->prof[k] : &ps->def[k];
		if (!sl->line || !sl->len)
			continue;
		p->line[k] = sl->line;
		tmp = strndup(sl->val, sl->len);
		if (!tmp)
			return -ENOMEM;
		if (k == PROFILE_KEY_FILE || k == PROFILE_SECURITY_TOKEN_FILE) {
			ret = expand_home(tmp, field(p, k));
			free(tmp);
			if (ret == -ENAMETOOLONG) {
				buf_fmt(ps->why, ps->why_n,
					"'%s' line %u: key '%s': path too long",
					ps->path, sl->line, key_names[k]);
				return -EINVAL;
			}
			if (ret == -ENOENT) {
				buf_fmt(ps->why, ps->why_n,
					"'%s' line %u: key '%s': cannot find the home directory for '~'",
					ps->path, sl->line, key_names[k]);
				return -EINVAL;
			}
			if (ret)
				return ret;
		} else {
			*field(p, k) = tmp;
		}
	}
	return 0;
}

static int validate(struct parser *ps, struct profile *p)
{
	static const enum profile_key required[] = {
		PROFILE_USER,	 PROFILE_FINGERPRINT, PROFILE_KEY_FILE,
		PROFILE_TENANCY, PROFILE_REGION,
	};
	struct region_info ri;
	const char *env;
	bool token = p->security_token_file != NULL;

	if (!p->region) {
		env = getenv("OCI_REGION");
		if (env && *env) {
			p->region = strdup(env);
			if (!p->region)
				return -ENOMEM;
			if (region_resolve(p->region, &ri)) {
				buf_fmt(ps->why, ps->why_n,
					"$OCI_REGION: not a region identifier or short code: '%.64s'",
					p->region);
				return -EINVAL;
			}
		}
	} else if (region_resolve(p->region, &ri)) {
		buf_fmt(ps->why, ps->why_n,
			"'%s' line %u: key 'region': not a region identifier or short code: '%.64s'",
			ps->path, p->line[PROFILE_REGION], p->region);
		return -EINVAL;
	}
	if (p->tenancy && !json_is_ocid(p->tenancy)) {
		buf_fmt(ps->why, ps->why_n,
			"'%s' line %u: key 'tenancy': not an OCID: '%.300s'",
			ps->path, p->line[PROFILE_TENANCY], p->tenancy);
		return -EINVAL;
	}
	if (p->user && !json_is_ocid(p->user)) {
		buf_fmt(ps->why, ps->why_n,
			"'%s' line %u: key 'user': not an OCID: '%.300s'",
			ps->path, p->line[PROFILE_USER], p->user);
		return -EINVAL;
	}
	if (p->fingerprint && !fingerprint_ok(p->fingerprint)) {
		buf_fmt(ps->why, ps->why_n,
			"'%s' line %u: key 'fingerprint': not a fingerprint (16 lower-case hex pairs joined by ':'): '%.64s'",
			ps->path, p->line[PROFILE_FINGERPRINT], p->fingerprint);
		return -EINVAL;
	}
	/* required keys, in the order a new user writes them */
	for (size_t i = 0; i < sizeof(required) / sizeof(*required); i++) {
		int k = required[i];

		if (*field(p, k))
			continue;
		/* session tokens replace the user and its API key */
		if (token && (k == PROFILE_USER || k == PROFILE_FINGERPRINT))
			continue;
		if (k == PROFILE_REGION)
			buf_fmt(ps->why, ps->why_n,
				"'%s': profile '%s' has no 'region' and $OCI_REGION is not set",
				ps->path, ps->name);
		else
			buf_fmt(ps->why, ps->why_n,
				"'%s': profile '%s' has no '%s'", ps->path,
				ps->name, key_names[k]);
		return -EINVAL;
	}
	return 0;
}

int profile_parse(struct profile *p, const char *text, size_t len,
		  const char *path, const char *name, char *why, size_t why_n)
{
	struct parser ps;
	enum section cur = SEC_NONE;
	const char *s = text, *end = text + len, *nl;
	unsigned int lineno = 0;
	int ret;

	memset(p, 0, sizeof(*p));
	memset(&ps, 0, sizeof(ps));
	if (why && why_n)
		why[0] = '\0';
	ps.path = path ? path : "";
	ps.name = name && *name ? name : profile_name(NULL);
	ps.target_is_default = !strcmp(ps.name, DEFAULT_SECTION);
	ps.why = why;
	ps.why_n = why_n;
	if (!text && len) {
		ret = -EINVAL;
		goto out;
	}
	if (len > PROFILE_FILE_MAX) {
		ret = -EFBIG;
		buf_fmt(why, why_n, "config file '%s' is larger than 1 MiB",
			ps.path);
		goto out;
	}
	/* a UTF-8 byte order mark, as editors on Windows write */
	if (len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		s += 3;
	while (s < end) {
		lineno++;
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		if (nl - s > PROFILE_LINE_MAX) {
			ret = -EINVAL;
			buf_fmt(why, why_n,
				"'%s' line %u: line longer than %d bytes",
				ps.path, lineno, PROFILE_LINE_MAX);
			goto out;
		}
		if (memchr(s, '\0', (size_t)(nl - s))) {
			ret = -EINVAL;
			buf_fmt(why, why_n, "'%s' line %u: contains a NUL byte",
				ps.path, lineno);
			goto out;
		}
		ret = parse_line(&ps, s, nl, lineno, &cur);
		if (ret)
			goto out;
		s = nl + 1;
	}
	if (!(ps.target_is_default ? ps.default_line : ps.target_line)) {
		ret = -ENOENT;
		buf_fmt(why, why_n, "profile '%s' not found in '%s'", ps.name,
			ps.path);
		goto out;
	}
	p->path = strdup(ps.path);
	p->name = strdup(ps.name);
	if (!p->path || !p->name) {
		ret = -ENOMEM;
		goto out;
	}
	ret = take_values(&ps, p);
	if (!ret)
		ret = validate(&ps, p);
out:
	if (ret == -ENOMEM)
		buf_fmt(why, why_n, "out of memory");
	if (ret)
		profile_release(p);
	return ret;
}

int profile_load(struct profile *p, const char *path_opt, const char *name_opt,
		 char *why, size_t why_n)
{
	struct buf text = BUF_INIT_SECRET(PROFILE_FILE_MAX);
	char path[PATH_MAX];
	int ret;

	memset(p, 0, sizeof(*p));
	ret = profile_config_path(path_opt, path, sizeof(path));
	if (ret == -ENAMETOOLONG) {
		buf_fmt(why, why_n, "config file path is too long");
		goto out;
	}
	if (ret == -ENOENT) {
		buf_fmt(why, why_n,
			"cannot find the home directory for '~/.oci/config': $HOME is not set");
		goto out;
	}
	if (ret)
		goto out;
	ret = buf_read_file(&text, path, "config file", why, why_n);
	if (ret)
		goto out;
	ret = profile_parse(p, text.buf, text.len, path, profile_name(name_opt),
			    why, why_n);
out:
	if (ret == -ENOMEM)
		buf_fmt(why, why_n, "out of memory");
	/* the text may hold a pass phrase */
	buf_wipe_release(&text);
	if (ret)
		profile_release(p);
	return ret;
}
