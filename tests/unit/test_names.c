/* SPDX-License-Identifier: MIT */
/* Unit tests for fs/names.c: sanitizing display names, unique sticky names. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "tap.h"

#define OCID(x) "ocid1.key.oc1.iad." x

/* Strict UTF-8 check, written independently of fs/names.c. */
static bool valid_utf8(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		unsigned int cp, need;

		if (s[0] < 0x80) {
			s++;
			continue;
		} else if ((s[0] & 0xe0) == 0xc0) {
			cp = s[0] & 0x1f;
			need = 1;
		} else if ((s[0] & 0xf0) == 0xe0) {
			cp = s[0] & 0x0f;
			need = 2;
		} else if ((s[0] & 0xf8) == 0xf0) {
			cp = s[0] & 0x07;
			need = 3;
		} else {
			return false;
		}
		for (unsigned int i = 1; i <= need; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += need + 1;
	}
	return true;
}

static char *repeat(const char *unit, size_t times)
{
	size_t ul = strlen(unit);
	char *s = malloc(ul * times + 1);

	for (size_t i = 0; i < times; i++)
		memcpy(s + i * ul, unit, ul);
	s[ul * times] = '\0';
	return s;
}

static const char *san(const char *display, size_t reserve)
{
	static char out[NAMES_MAX + 1];

	if (names_sanitize(display, reserve, out, sizeof(out)))
		return "(error)";
	return out;
}

static void test_sanitize_basic(void)
{
	char small[NAMES_MAX];

	is_str(san("db-master", 0), "db-master", "plain name unchanged");
	is_str(san("a b ü €", 0), "a b ü €", "spaces and unicode unchanged");
	is_str(san("a/b", 0), "a／b", "'/' becomes U+FF0F");
	is_str(san("/", 0), "／", "a lone '/'");
	is_str(san("//x//", 0), "／／x／／", "several '/'");
	is_str(san(".", 0), "．", "'.' becomes U+FF0E");
	is_str(san("..", 0), "．．", "'..' becomes two U+FF0E");
	is_str(san("...", 0), "...", "'...' is a normal name");
	is_str(san(".hidden", 0), ".hidden", "leading dot kept");
	is_str(san("a..", 0), "a..", "trailing dots kept");
	is_str(san("", 0), "(unnamed)", "empty name");
	is_str(san(NULL, 0), "(unnamed)", "NULL name");
	is_str(san("a\x01z", 0), "a␁z", "0x01 becomes U+2401");
	is_str(san("\t", 0), "␉", "tab becomes U+2409");
	is_str(san("a\nb\r", 0), "a␊b␍", "LF and CR");
	is_str(san("\x1f", 0), "␟", "0x1f becomes U+241F");
	is_str(san("x\x7f", 0), "x␡", "DEL becomes U+2421");
	is_str(san("bad\xff\xfe", 0), "bad\xef\xbf\xbd\xef\xbf\xbd",
	       "invalid bytes become U+FFFD");
	is_str(san("\xc0\xaf", 0), "\xef\xbf\xbd\xef\xbf\xbd",
	       "overlong '/' is not a '/'");
	is_str(san("\xed\xa0\x80", 0), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
	       "surrogate refused");
	is_str(san("\xf0\x9f\x94\x91 key", 0), "\xf0\x9f\x94\x91 key",
	       "4-byte character kept");
	/* Neutralised: each of these becomes '_' (issue 8). */
	is_str(san("evil\xe2\x80\xaetxt.exe", 0), "evil_txt.exe",
	       "U+202E RLO becomes '_'");
	is_str(san("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", 0),
	       "____", "U+202A..U+202D");
	is_str(san("a\xe2\x80\x8e\xe2\x80\x8f"
		   "b",
		   0),
	       "a__b", "LRM, RLM");
	is_str(san("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", 0),
	       "____", "U+2066..U+2069 isolates");
	is_str(san("x\xd8\x9c"
		   "y",
		   0),
	       "x_y", "U+061C ARABIC LETTER MARK");
	is_str(san("a\xe2\x80\xa8"
		   "b\xe2\x80\xa9"
		   "c",
		   0),
	       "a_b_c", "U+2028, U+2029 separators");
	is_str(san("a\xc2\x85"
		   "b",
		   0),
	       "a_b", "U+0085 NEL");
	is_str(san("\xc2\x80\xc2\x9f", 0), "__", "U+0080, U+009F (C1)");
	is_str(san("\xc2\xa0", 0), "\xc2\xa0", "U+00A0 (after C1) kept");
	is_str(san("\xef\xbf\xbe\xef\xbf\xbf", 0), "__", "U+FFFE, U+FFFF");
	is_str(san("\xef\xb7\x90\xef\xb7\xaf", 0), "__",
	       "U+FDD0, U+FDEF non-characters");
	is_str(san("\xef\xb7\x8f\xef\xb7\xb0", 0), "\xef\xb7\x8f\xef\xb7\xb0",
	       "U+FDCF, U+FDF0 kept");
	is_str(san("\xf0\x9f\xbf\xbe\xf4\x8f\xbf\xbf", 0), "__",
	       "U+1FFFE, U+10FFFF non-characters");
	is_str(san("\xef\xbf\xbd\xe2\x80\x8b", 0), "\xef\xbf\xbd\xe2\x80\x8b",
	       "U+FFFD and U+200B kept");
	is_str(san("\xe2\x80\xae", 0), "_", "a lone RLO is a name '_'");
	is_str(san("cut\xe2\x82", 0), "cut\xef\xbf\xbd\xef\xbf\xbd",
	       "truncated sequence at the end");

	is_int(names_sanitize("x", 0, small, sizeof(small)), -EINVAL,
	       "output smaller than NAMES_MAX + 1");
	{
		char out[NAMES_MAX + 1];

		is_int(names_sanitize("x", NAMES_MAX, out, sizeof(out)),
		       -EINVAL, "reserve of NAMES_MAX leaves no room");
		is_int(names_sanitize("x", NAMES_MAX - 1, out, sizeof(out)), 0,
		       "reserve of NAMES_MAX - 1");
		is_str(out, "x", "one byte left");
		is_int(names_sanitize("€", NAMES_MAX - 2, out, sizeof(out)), 0,
		       "3-byte char with 2 bytes left");
		is_str(out, "", "does not fit: nothing, no partial character");
	}
}

/* Cut a name made of `unit` repeated to 300 bytes with `reserve`. */
static void check_cut(const char *unit, size_t reserve)
{
	size_t ul = strlen(unit);
	char *name = repeat(unit, 300 / ul);
	const char *out = san(name, reserve);
	size_t limit = NAMES_MAX - reserve;
	size_t want = limit / ul * ul;

	is_int(strlen(out), want, "%zu-byte chars, reserve %zu: length", ul,
	       reserve);
	ok(!strncmp(out, name, strlen(out)),
	   "%zu-byte chars, reserve %zu: a prefix", ul, reserve);
	ok(valid_utf8(out), "%zu-byte chars, reserve %zu: valid UTF-8", ul,
	   reserve);
	free(name);
}

static void test_sanitize_cut(void)
{
	char *s;

	check_cut("a", 0);
	check_cut("é", 0);
	check_cut("€", 0);
	check_cut("\xf0\x9f\x94\x91", 0);
	check_cut("a", 7);
	check_cut("é", 7);
	check_cut("€", 7);
	check_cut("\xf0\x9f\x94\x91", 7);
	check_cut("\xf0\x9f\x94\x91", 9);

	s = repeat("/", 300);
	is_int(strlen(san(s, 0)), 255, "300 '/' cut to 85 U+FF0F");
	ok(valid_utf8(san(s, 1)) && strlen(san(s, 1)) == 252,
	   "replacements are cut whole");
	free(s);

	s = repeat("x", 255);
	is_str(san(s, 0), s, "exactly 255 bytes: unchanged");
	free(s);
	s = repeat("x", 256);
	is_int(strlen(san(s, 0)), 255, "256 bytes: cut to 255");
	free(s);
}

/* ---- names_assign ---- */

struct ent {
	const char *display;
	const char *ocid;
	const char *prev_display;
	const char *prev_name;
};

static void load(struct names_entry *v, const struct ent *e, size_t n)
{
	memset(v, 0, n * sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		v[i].display = e[i].display;
		v[i].ocid = e[i].ocid;
		v[i].prev_display = e[i].prev_display;
		v[i].prev_name = e[i].prev_name;
		memset(v[i].name, 'Z', sizeof(v[i].name)); /* poison */
	}
}

static const char *name_of(const struct names_entry *v, size_t n,
			   const char *ocid)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].ocid, ocid))
			return v[i].name;
	return "(missing)";
}

static bool all_good(const struct names_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strnlen(v[i].name, sizeof(v[i].name));

		if (len == 0 || len > NAMES_MAX || strchr(v[i].name, '/') ||
		    !strcmp(v[i].name, ".") || !strcmp(v[i].name, "..") ||
		    !valid_utf8(v[i].name))
			return false;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(v[i].name, v[j].name))
				return false;
	}
	return true;
}

static void test_assign_basic(void)
{
	struct names_entry v[8];
	const struct ent e[] = {
		{"alpha", OCID("aaaaaaaaaa111111")},
		{"beta/gamma", OCID("aaaaaaaaaa222222")},
		{".", OCID("aaaaaaaaaa333333")},
		{"", OCID("aaaaaaaaaa444444")},
	};

	is_int(names_assign(NULL, 0), 0, "no entries");
	load(v, e, 4);
	is_int(names_assign(v, 4), 0, "distinct names");
	is_str(v[0].name, "alpha", "unique name unchanged");
	is_str(v[1].name, "beta／gamma", "unique name sanitized");
	is_str(v[2].name, "．", "'.' sanitized");
	is_str(v[3].name, "(unnamed)", "empty name");
	ok(all_good(v, 4), "all unique and valid");
}

static void test_assign_duplicates(void)
{
	struct names_entry v[8];
	const struct ent two[] = {
		{"db", OCID("amaaaaaaxyz123")},
		{"db", OCID("amaaaaaaqrs456")},
		{"other", OCID("amaaaaaa000000")},
	};
	const struct ent three[] = {
		{"db", OCID("amaaaaaaxyz123")},
		{"db", OCID("amaaaaaaqrs456")},
		{"db", OCID("amaaaaaatuv789")},
	};
	const struct ent after_sanitize[] = {
		{"a/b", OCID("amaaaaaa111111")},
		{"a／b", OCID("amaaaaaa222222")},
	};
	const struct ent unnamed[] = {
		{"", OCID("amaaaaaa111111")},
		{"(unnamed)", OCID("amaaaaaa222222")},
	};

	load(v, two, 3);
	is_int(names_assign(v, 3), 0, "two duplicates");
	is_str(v[0].name, "db~xyz123", "first gets the last 6 of its OCID");
	is_str(v[1].name, "db~qrs456", "second too");
	is_str(v[2].name, "other", "unrelated sibling unchanged");

	load(v, three, 3);
	is_int(names_assign(v, 3), 0, "three duplicates");
	is_str(v[0].name, "db~xyz123", "1 of 3");
	is_str(v[1].name, "db~qrs456", "2 of 3");
	is_str(v[2].name, "db~tuv789", "3 of 3");

	load(v, after_sanitize, 2);
	is_int(names_assign(v, 2), 0, "equal after sanitizing");
	is_str(v[0].name, "a／b~111111", "'a/b' suffixed");
	is_str(v[1].name, "a／b~222222", "'a／b' suffixed");

	load(v, unnamed, 2);
	is_int(names_assign(v, 2), 0, "empty vs '(unnamed)'");
	is_str(v[0].name, "(unnamed)~111111", "empty suffixed");
	is_str(v[1].name, "(unnamed)~222222", "'(unnamed)' suffixed");
}

static void test_assign_same_tail(void)
{
	struct names_entry v[8];
	const struct ent e[] = {
		{"k", OCID("amaaaaaaaa11123456")},
		{"k", OCID("amaaaaaaaa22123456")},
		{"k", OCID("amaaaaaaaa33999999")},
	};
	const struct ent e2[] = {
		{"k", OCID("zz99123456")},
		{"k", OCID("yy99123456")},
	};
	/* same last part, different region: only the rank can tell them */
	const struct ent e3[] = {
		{"k", "ocid1.key.oc1.iad.amaaaaaaaaabc"},
		{"k", "ocid1.key.oc1.phx.amaaaaaaaaabc"},
	};
	const struct ent e4[] = {
		{"k", "ocid1.key.oc1.iad.abc"},
		{"k", "ocid1.key.oc1.phx.abc"},
		{"k", "no-dots-at-all"},
	};

	load(v, e, 3);
	is_int(names_assign(v, 3), 0, "same last 6 characters");
	is_str(v[0].name, "k~11123456", "extended to 8 characters (1)");
	is_str(v[1].name, "k~22123456", "extended to 8 characters (2)");
	is_str(v[2].name, "k~999999", "a non-colliding sibling keeps 6");

	load(v, e2, 2);
	is_int(names_assign(v, 2), 0, "same last 8 characters");
	is_str(v[0].name, "k~zz99123456", "extended to 10 characters (1)");
	is_str(v[1].name, "k~yy99123456", "extended to 10 characters (2)");

	load(v, e3, 2);
	is_int(names_assign(v, 2), 0, "same last part");
	is_str(v[0].name, "k~amaaaaaaaaabc-1", "rank after the whole part (1)");
	is_str(v[1].name, "k~amaaaaaaaaabc-2", "rank after the whole part (2)");

	load(v, e4, 3);
	is_int(names_assign(v, 3), 0, "short last parts");
	is_str(name_of(v, 3, "no-dots-at-all"), "k~at-all",
	       "an OCID without dots: its end");
	ok(all_good(v, 3), "short parts: unique");
	/* ranks follow OCID order: "no-dots..." < "ocid1.....iad" < "...phx" */
	ok(!strcmp(name_of(v, 3, "ocid1.key.oc1.iad.abc"), "k~abc-2") &&
		   !strcmp(name_of(v, 3, "ocid1.key.oc1.phx.abc"), "k~abc-3"),
	   "short equal parts use the rank");
}

/* Kept names sitting on the rank candidates force the last rung. */
static void test_assign_last_rung(void)
{
	struct names_entry v[5];
	const struct ent e[] = {
		{"k", "ocid1.a.abc"},
		{"k", "ocid1.b.abc"},
		{"q", "ocid1.c.zzzzzz", "q", "k~abc-1"},
		{"r", "ocid1.d.yyyyyy", "r", "k~abc-2"},
		{"k~abc", "ocid1.e.xxxxxx"},
	};

	load(v, e, 5);
	is_int(names_assign(v, 5), 0, "every rung blocked");
	is_str(v[4].name, "k~abc", "a literal name takes the 6-char rung");
	is_str(v[2].name, "k~abc-1", "kept name 1");
	is_str(v[3].name, "k~abc-2", "kept name 2");
	is_str(v[0].name, "k~abc-1-1", "rank rung blocked: extra counter (1)");
	is_str(v[1].name, "k~abc-2-1", "rank rung blocked: extra counter (2)");
	ok(all_good(v, 5), "unique");
}

static void test_assign_collide_with_plain(void)
{
	struct names_entry v[8];
	const struct ent e[] = {
		{"x~aaaaaa", OCID("p1p1p1p1p1")},
		{"x", OCID("zzzzzzzzaaaaaa")},
		{"x", OCID("zzzzzzzzbbbbbb")},
	};

	load(v, e, 3);
	is_int(names_assign(v, 3), 0, "a suffixed name equals a plain one");
	is_str(v[0].name, "x~aaaaaa", "the literal name stays plain");
	is_str(v[1].name, "x~zzaaaaaa", "the colliding suffix is extended");
	is_str(v[2].name, "x~bbbbbb", "the other keeps 6 characters");
	ok(all_good(v, 3), "unique");
}

static void test_assign_long(void)
{
	struct names_entry v[4];
	char *a = repeat("€", 100); /* 300 bytes */
	char *b = repeat("€", 100);
	char *c = repeat("x", 300);
	char *d = repeat("x", 300);
	struct ent e[4];

	/* c and d differ only past byte 255: equal once cut */
	c[299] = '1';
	d[299] = '2';
	e[0] = (struct ent){a, OCID("aaaaaaaaa111111")};
	e[1] = (struct ent){b, OCID("aaaaaaaaa222222")};
	e[2] = (struct ent){c, OCID("aaaaaaaaa333333")};
	e[3] = (struct ent){d, OCID("aaaaaaaaa444444")};
	load(v, e, 4);
	is_int(names_assign(v, 4), 0, "300-byte duplicates");
	ok(all_good(v, 4), "long names: unique, valid UTF-8, <= 255 bytes");
	is_int(strlen(v[0].name), 82 * 3 + 7, "unicode cut to leave room");
	ok(!strcmp(v[0].name + 246, "~111111") && !strncmp(v[0].name, a, 246),
	   "unicode prefix + suffix");
	is_int(strlen(v[2].name), 255, "ascii name uses all 255 bytes");
	ok(!strcmp(v[2].name + 248, "~333333"), "ascii suffix");
	ok(!strcmp(v[3].name + 248, "~444444"),
	   "names equal only after the cut are suffixed");
	free(a);
	free(b);
	free(c);
	free(d);
}

static void test_assign_dup_ocid(void)
{
	struct names_entry v[3];
	const struct ent e[] = {
		{"a", OCID("same")},
		{"b", OCID("other")},
		{"c", OCID("same")},
	};

	load(v, e, 3);
	is_int(names_assign(v, 3), -EEXIST, "duplicate OCID");
}

/* Assign, then feed names back as a relisting would. */
static void relist(struct names_entry *v, const struct names_entry *old,
		   size_t nold, const struct ent *e, size_t n)
{
	static char pd[16][NAMES_MAX + 1], pn[16][NAMES_MAX + 1];

	load(v, e, n);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < nold; j++) {
			if (strcmp(old[j].ocid, e[i].ocid))
				continue;
			snprintf(pd[i], sizeof(pd[i]), "%s", old[j].display);
			snprintf(pn[i], sizeof(pn[i]), "%s", old[j].name);
			v[i].prev_display = pd[i];
			v[i].prev_name = pn[i];
		}
	}
}

static void test_sticky(void)
{
	struct names_entry v1[8], v2[8], v3[8], v4[8], v5[8];
	const struct ent first[] = {
		{"db", OCID("aaaaaaaaaaaaaa")},
		{"db", OCID("bbbbbbbbbbbbbb")},
		{"app", OCID("eeeeeeeeeeeeee")},
	};
	/* a third "db" appears */
	const struct ent second[] = {
		{"db", OCID("aaaaaaaaaaaaaa")},
		{"db", OCID("bbbbbbbbbbbbbb")},
		{"app", OCID("eeeeeeeeeeeeee")},
		{"db", OCID("cccccccccccccc")},
	};
	/* one duplicate renamed; another "app" appears */
	const struct ent third[] = {
		{"db", OCID("aaaaaaaaaaaaaa")},
		{"renamed", OCID("bbbbbbbbbbbbbb")},
		{"app", OCID("eeeeeeeeeeeeee")},
		{"db", OCID("cccccccccccccc")},
		{"app", OCID("ffffffffffffff")},
	};
	/* a sibling renamed to exactly a name that is taken */
	const struct ent fourth[] = {
		{"db", OCID("aaaaaaaaaaaaaa")},
		{"renamed", OCID("bbbbbbbbbbbbbb")},
		{"app", OCID("eeeeeeeeeeeeee")},
		{"db", OCID("cccccccccccccc")},
		{"db~aaaaaa", OCID("ffffffffffffff")},
	};

	load(v1, first, 3);
	is_int(names_assign(v1, 3), 0, "listing 1");
	is_str(v1[0].name, "db~aaaaaa", "listing 1: dup 1");
	is_str(v1[1].name, "db~bbbbbb", "listing 1: dup 2");
	is_str(v1[2].name, "app", "listing 1: unique");

	relist(v2, v1, 3, second, 4);
	is_int(names_assign(v2, 4), 0, "listing 2");
	is_str(v2[0].name, "db~aaaaaa", "listing 2: dup 1 kept");
	is_str(v2[1].name, "db~bbbbbb", "listing 2: dup 2 kept");
	is_str(v2[2].name, "app", "listing 2: unique kept");
	is_str(v2[3].name, "db~cccccc", "listing 2: new duplicate suffixed");

	relist(v3, v2, 4, third, 5);
	is_int(names_assign(v3, 5), 0, "listing 3");
	is_str(v3[0].name, "db~aaaaaa",
	       "listing 3: untouched dup keeps suffix");
	is_str(v3[1].name, "renamed", "listing 3: renamed entry renamed");
	is_str(v3[2].name, "app", "listing 3: 'app' keeps its plain name");
	is_str(v3[3].name, "db~cccccc", "listing 3: dup 3 kept");
	is_str(v3[4].name, "app~ffffff",
	       "listing 3: new 'app' suffixed, old one not renamed");
	ok(all_good(v3, 5), "listing 3: unique");

	relist(v4, v3, 5, fourth, 5);
	is_int(names_assign(v4, 5), 0, "listing 4");
	is_str(v4[0].name, "db~aaaaaa", "listing 4: kept name wins");
	is_str(v4[4].name, "db~aaaaaa~ffffff",
	       "listing 4: a rename onto a kept name is suffixed");
	is_str(v4[2].name, "app", "listing 4: 'app' still plain");

	/* a remount: no history; all same-named siblings get suffixes */
	load(v5, fourth, 5);
	is_int(names_assign(v5, 5), 0, "remount");
	is_str(v5[4].name, "db~aaaaaa",
	       "remount: a unique literal name stays plain");
	is_str(v5[0].name, "db~aaaaaaaa",
	       "remount: the suffix that collides with it grows");
	is_str(v5[3].name, "db~cccccc", "remount: dup 3");
	ok(all_good(v5, 5), "remount: unique");

	/* history that does not hold */
	{
		struct names_entry w[3];
		const struct ent e[] = {
			{"x", OCID("aaaaaaaaaaaaaa"), "x", "a/b"},
			{"y", OCID("bbbbbbbbbbbbbb"), "old", "old"},
			{"z", OCID("cccccccccccccc"), "z", ""},
		};
		const struct ent clash[] = {
			{"p", OCID("bbbbbbbbbbbbbb"), "p", "same"},
			{"q", OCID("aaaaaaaaaaaaaa"), "q", "same"},
			{"r", OCID("cccccccccccccc"), "r", ".."},
		};

		load(w, e, 3);
		is_int(names_assign(w, 3), 0, "invalid history");
		is_str(w[0].name, "x", "a prev_name with '/' is ignored");
		is_str(w[1].name, "y", "a changed display name renames");
		is_str(w[2].name, "z", "an empty prev_name is ignored");
		load(w, clash, 3);
		is_int(names_assign(w, 3), 0, "two claims on one name");
		is_str(w[1].name, "same", "the smaller OCID keeps the name");
		is_str(w[0].name, "p", "the other is named afresh");
		is_str(w[2].name, "r", "'..' as prev_name is ignored");
	}
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	/* xorshift64: deterministic shuffles */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void shuffle(struct ent *e, size_t n)
{
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = rng() % (i + 1);
		struct ent t = e[i];

		e[i] = e[j];
		e[j] = t;
	}
}

#define BIG 200

static void test_order_independence(void)
{
	static const char *names[] = {"db",   "db", "app",	 "x~aaaaaa",
				      "x",    "",   "(unnamed)", "a/b",
				      "a／b", "."};
	static char ocids[BIG][64], prevs[BIG][NAMES_MAX + 1];
	static struct ent e[BIG];
	static struct names_entry ref[BIG], v[BIG];
	int mismatches = 0;

	for (size_t i = 0; i < BIG; i++) {
		/*
		 * Unique OCIDs whose ends collide a lot: the last part only
		 * depends on i % 10, so many share it (rank rungs), and all
		 * share their last 6 or their last 8 characters.
		 */
		snprintf(ocids[i], sizeof(ocids[i]),
			 "ocid1.key.oc1.r%02zu.amaaaa%s%zu%s", i / 10,
			 i % 2 ? "x" : "y", i % 10 / 2,
			 i % 3 ? "123456" : "654321");
		e[i].display = names[rng() % 10];
		e[i].ocid = ocids[i];
	}
	load(ref, e, BIG);
	is_int(names_assign(ref, BIG), 0, "200 entries");
	ok(all_good(ref, BIG), "200 entries: unique and valid");

	for (int round = 0; round < 20; round++) {
		int bad = 0;

		shuffle(e, BIG);
		load(v, e, BIG);
		if (names_assign(v, BIG))
			bad++;
		for (size_t i = 0; i < BIG; i++)
			if (strcmp(v[i].name, name_of(ref, BIG, v[i].ocid)))
				bad++;
		mismatches += bad;
	}
	is_int(mismatches, 0, "20 shuffles give the same names");

	/* the same with history: half the entries remember their names */
	for (size_t i = 0; i < BIG; i++) {
		if (i % 2)
			continue;
		snprintf(prevs[i], sizeof(prevs[i]), "%s",
			 name_of(ref, BIG, e[i].ocid));
		e[i].prev_display = e[i].display;
		e[i].prev_name = prevs[i];
	}
	load(ref, e, BIG);
	is_int(names_assign(ref, BIG), 0, "with history");
	ok(all_good(ref, BIG), "with history: unique and valid");
	mismatches = 0;
	for (size_t i = 0; i < BIG; i++)
		if (e[i].prev_name && strcmp(ref[i].name, e[i].prev_name))
			mismatches++;
	is_int(mismatches, 0, "with history: every remembered name kept");
	mismatches = 0;
	for (int round = 0; round < 20; round++) {
		shuffle(e, BIG);
		load(v, e, BIG);
		if (names_assign(v, BIG))
			mismatches++;
		for (size_t i = 0; i < BIG; i++)
			if (strcmp(v[i].name, name_of(ref, BIG, v[i].ocid)))
				mismatches++;
	}
	is_int(mismatches, 0, "with history: 20 shuffles agree");
}

int main(void)
{
	test_sanitize_basic();
	test_sanitize_cut();
	test_assign_basic();
	test_assign_duplicates();
	test_assign_same_tail();
	test_assign_collide_with_plain();
	test_assign_last_rung();
	test_assign_long();
	test_assign_dup_ocid();
	test_sticky();
	test_order_independence();
	return done_testing();
}
