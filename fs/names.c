/* SPDX-License-Identifier: MIT */
/* names: OCI display names -> unique, sticky file names of one directory. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "names.h"
#include "banned.h"

/* The suffix taken from an OCID never exceeds this many characters. */
#define SUFFIX_CHARS_MAX 64
/* "~" + suffix + "-" + rank + "-" + extra, rank/extra as decimal size_t */
#define SUFFIX_MAX (1 + SUFFIX_CHARS_MAX + 2 * 21)

static const char UNNAMED[] = "(unnamed)";
static const char FULLWIDTH_SOLIDUS[] = "\xef\xbc\x8f"; /* U+FF0F */
static const char FULLWIDTH_STOP[] = "\xef\xbc\x8e"; /* U+FF0E */
static const char REPLACEMENT_CHAR[] = "\xef\xbf\xbd"; /* U+FFFD */
static const char NEUTRAL[] = "_";

/* The code point of the valid UTF-8 sequence of `k` bytes at s. */
static unsigned long code_point(const unsigned char *s, size_t k)
{
	switch (k) {
	case 1:
		return s[0];
	case 2:
		return ((s[0] & 0x1fUL) << 6) | (s[1] & 0x3f);
	case 3:
		return ((s[0] & 0x0fUL) << 12) | ((s[1] & 0x3fUL) << 6) |
		       (s[2] & 0x3f);
	default:
		return ((s[0] & 0x07UL) << 18) | ((s[1] & 0x3fUL) << 12) |
		       ((s[2] & 0x3fUL) << 6) | (s[3] & 0x3f);
	}
}

/*
 * Characters that can make a terminal or a file manager show something
 * else than the name (bidi overrides reorder what follows them; line and
 * paragraph separators and C1 controls such as NEL break lines) or that
 * are not meant for interchange at all (non-characters).
 */
static bool is_neutralised(unsigned long cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || /* C1 controls, NEL */
	       cp == 0x061c || /* ARABIC LETTER MARK */
	       cp == 0x200e || cp == 0x200f || /* LRM, RLM */
	       cp == 0x2028 || cp == 0x2029 || /* line/paragraph sep. */
	       (cp >= 0x202a && cp <= 0x202e) || /* LRE..RLO */
	       (cp >= 0x2066 && cp <= 0x2069) || /* LRI..PDI */
	       (cp >= 0xfdd0 && cp <= 0xfdef) || /* non-characters */
	       (cp & 0xfffe) == 0xfffe; /* U+xFFFE, U+xFFFF */
}

/*
 * Append one unit to out[*len]; a unit that does not fit in `limit` bytes
 * is dropped and ends the name, so that names are only ever cut between
 * characters.
 */
static bool put_unit(char *out, size_t *len, size_t limit, const char *u,
		     size_t ulen)
{
	if (*len + ulen > limit)
		return false;
	memcpy(out + *len, u, ulen);
	*len += ulen;
	return true;
}

int names_sanitize(const char *display, size_t reserve, char *out, size_t n)
{
	const unsigned char *s =
		(const unsigned char *)(display ? display : "");
	size_t len = 0, limit;

	if (n < NAMES_MAX + 1 || reserve >= NAMES_MAX)
		return -EINVAL;
	limit = NAMES_MAX - reserve;
	if (!*s)
		s = (const unsigned char *)UNNAMED;
	if (!strcmp((const char *)s, ".") || !strcmp((const char *)s, "..")) {
		for (; *s; s++)
			if (!put_unit(out, &len, limit, FULLWIDTH_STOP, 3))
				break;
		out[len] = '\0';
		return 0;
	}
	while (*s) {
		char ctl[3];
		size_t k = buf_utf8_seq(s, 4);
		bool fits;

		if (*s == '/') {
			fits = put_unit(out, &len, limit, FULLWIDTH_SOLIDUS, 3);
		} else if (*s < 0x20 || *s == 0x7f) {
			/* U+2400 + c, and U+2421 for DEL: "\xe2\x90" + byte */
			ctl[0] = '\xe2';
			ctl[1] = '\x90';
			ctl[2] = (char)(*s == 0x7f ? 0xa1 : 0x80 + *s);
			fits = put_unit(out, &len, limit, ctl, 3);
		} else if (!k) {
			/* Keep file names valid UTF-8 for file managers. */
			fits = put_unit(out, &len, limit, REPLACEMENT_CHAR, 3);
			k = 1;
		} else if (k > 1 && is_neutralised(code_point(s, k))) {
			fits = put_unit(out, &len, limit, NEUTRAL, 1);
		} else {
			fits = put_unit(out, &len, limit, (const char *)s, k);
		}
		if (!fits)
			break;
		s += k;
	}
	out[len] = '\0';
	return 0;
}

/* ---- names_assign ------------------------------------------------------ */

enum slot_state { SLOT_PENDING, SLOT_KEPT, SLOT_PLAIN };

struct slot {
	const struct names_entry *e;
	const char *ocid;
	char base[NAMES_MAX + 1]; /* sanitized display name, not cut */
	char cand[NAMES_MAX + 1]; /* proposed (PENDING) or final name */
	char last[SUFFIX_CHARS_MAX + 1]; /* end of the OCID's last part */
	size_t lastlen;
	size_t rank; /* 1-based position in OCID order */
	unsigned int level; /* rung of the suffix ladder (PENDING) */
	enum slot_state state;
	const char *name; /* the name this slot holds or proposes */
};

static int cmp_ocid(const void *a, const void *b)
{
	const struct slot *x = *(const struct slot *const *)a;
	const struct slot *y = *(const struct slot *const *)b;

	return strcmp(x->ocid, y->ocid);
}

/* By name, then OCID: ties break the same way whatever the input order. */
static int cmp_name(const void *a, const void *b)
{
	const struct slot *x = *(const struct slot *const *)a;
	const struct slot *y = *(const struct slot *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->ocid, y->ocid);
}

static int cmp_name_key(const void *key, const void *b)
{
	const struct slot *y = *(const struct slot *const *)b;

	return strcmp(key, y->name);
}

static int cmp_base(const void *a, const void *b)
{
	const struct slot *x = *(const struct slot *const *)a;
	const struct slot *y = *(const struct slot *const *)b;

	return strcmp(x->base, y->base);
}

/* A file name handed back by the caller must still be a usable one. */
static bool valid_prev_name(const char *s)
{
	size_t len = strlen(s);

	return len && len <= NAMES_MAX && !strchr(s, '/') && strcmp(s, ".") &&
	       strcmp(s, "..");
}

/*
 * The OCID's last dot-separated part, at most SUFFIX_CHARS_MAX characters
 * from its end.  Characters that have no business in a file name suffix
 * become '_'; in particular a suffix never holds '~', so the last '~' of a
 * suffixed name always starts the suffix.
 */
static void slot_last(struct slot *s)
{
	const char *dot = strrchr(s->ocid, '.');
	const char *p = dot ? dot + 1 : s->ocid;
	size_t len = strlen(p);

	if (len > SUFFIX_CHARS_MAX) {
		p += len - SUFFIX_CHARS_MAX;
		len = SUFFIX_CHARS_MAX;
	}
	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_';

		s->last[i] = ok ? c : '_';
	}
	s->last[len] = '\0';
	s->lastlen = len;
}

/*
 * The suffix of rung `level`: the last 6, 8, 10, ... characters of the
 * OCID's last part; once that is used up, the whole part plus the OCID's
 * rank (unique among the siblings); past that, an extra counter, needed
 * only if a kept or plain name happens to equal the candidate.
 */
static void slot_suffix(const struct slot *s, char *out, size_t n)
{
	size_t k = 6 + 2 * (size_t)s->level;
	size_t full = s->lastlen > 6 ? (s->lastlen - 6 + 1) / 2 : 0;

	if (k < s->lastlen)
		snprintf(out, n, "~%s", s->last + s->lastlen - k);
	else if (s->level <= full)
		snprintf(out, n, "~%s", s->last);
	else if (s->level == full + 1)
		snprintf(out, n, "~%s-%zu", s->last, s->rank);
	else
		snprintf(out, n, "~%s-%zu-%zu", s->last, s->rank,
			 (size_t)s->level - full - 1);
}

static void slot_propose(struct slot *s)
{
	char suffix[SUFFIX_MAX + 1];
	size_t len;

	slot_suffix(s, suffix, sizeof(suffix));
	len = strlen(suffix);
	/* SUFFIX_MAX < NAMES_MAX, so this cannot fail */
	names_sanitize(s->e->display, len, s->cand, sizeof(s->cand));
	memcpy(s->cand + strlen(s->cand), suffix, len + 1);
	s->name = s->cand;
}

/*
 * Rounds: every pending entry proposes the name of its current rung, and
 * all proposals that collide with a fixed name or with each other move up
 * one rung together.  A round depends only on the set of entries, never on
 * their order.  It ends: the rank rungs are unique among pending entries,
 * and each fixed name can block an entry on one rung only.
 */
static void resolve_pending(struct slot **all, size_t n, struct slot **tmp)
{
	size_t moved;

	do {
		moved = 0;
		for (size_t i = 0; i < n; i++) {
			if (all[i]->state == SLOT_PENDING)
				slot_propose(all[i]);
			tmp[i] = all[i];
		}
		qsort(tmp, n, sizeof(*tmp), cmp_name);
		for (size_t i = 0, j; i < n; i = j) {
			for (j = i + 1; j < n; j++)
				if (strcmp(tmp[i]->name, tmp[j]->name))
					break;
			if (j - i == 1)
				continue;
			for (size_t k = i; k < j; k++) {
				if (tmp[k]->state == SLOT_PENDING) {
					tmp[k]->level++;
					moved++;
				}
			}
		}
	} while (moved);
}

int names_assign(struct names_entry *v, size_t n)
{
	struct slot *slots = NULL;
	struct slot **by = NULL, **tmp = NULL, **kept = NULL;
	size_t nkept = 0, w = 0;
	int ret = 0;

	if (!n)
		return 0;
	slots = calloc(n, sizeof(*slots));
	by = calloc(n, sizeof(*by));
	tmp = calloc(n, sizeof(*tmp));
	kept = calloc(n, sizeof(*kept));
	if (!slots || !by || !tmp || !kept) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct slot *s = &slots[i];

		s->e = &v[i];
		s->ocid = v[i].ocid ? v[i].ocid : "";
		names_sanitize(v[i].display, 0, s->base, sizeof(s->base));
		slot_last(s);
		by[i] = s;
	}

	qsort(by, n, sizeof(*by), cmp_ocid);
	for (size_t i = 0; i < n; i++) {
		if (i && !strcmp(by[i - 1]->ocid, by[i]->ocid)) {
			ret = -EEXIST;
			goto out;
		}
		by[i]->rank = i + 1;
	}

	/*
	 * Sticky names.  Two entries claiming the same old name can only come
	 * from an inconsistent caller; the smaller OCID keeps it.
	 */
	for (size_t i = 0; i < n; i++) {
		struct slot *s = by[i];
		const struct names_entry *e = s->e;

		if (e->prev_display && e->prev_name && e->display &&
		    !strcmp(e->prev_display, e->display) &&
		    valid_prev_name(e->prev_name)) {
			s->name = e->prev_name;
			kept[nkept++] = s;
		}
	}
	qsort(kept, nkept, sizeof(*kept), cmp_name);
	for (size_t i = 0; i < nkept; i++) {
		if (w && !strcmp(kept[w - 1]->name, kept[i]->name)) {
			kept[i]->name = NULL;
			continue;
		}
		kept[i]->state = SLOT_KEPT;
		kept[w++] = kept[i];
	}
	nkept = w;

	/* A base name is free when nobody else has it and nobody kept it. */
	memcpy(tmp, by, n * sizeof(*tmp));
	qsort(tmp, n, sizeof(*tmp), cmp_base);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n; j++)
			if (strcmp(tmp[i]->base, tmp[j]->base))
				break;
		if (j - i > 1 || tmp[i]->state == SLOT_KEPT)
			continue;
		if (!bsearch(tmp[i]->base, kept, nkept, sizeof(*kept),
			     cmp_name_key)) {
			tmp[i]->state = SLOT_PLAIN;
			tmp[i]->name = tmp[i]->base;
		}
	}

	resolve_pending(by, n, tmp);

	/* Read every input before writing any output: they may overlap. */
	for (size_t i = 0; i < n; i++) {
		if (slots[i].name != slots[i].cand)
			buf_copy(slots[i].cand, sizeof(slots[i].cand),
				 slots[i].name);
	}
	for (size_t i = 0; i < n; i++)
		memcpy(v[i].name, slots[i].cand, sizeof(v[i].name));
out:
	free(kept);
	free(tmp);
	free(by);
	free(slots);
	return ret;
}
