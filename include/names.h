/* SPDX-License-Identifier: MIT */
/*
 * names: OCI display names -> file names (docs/ocivaultfs.md, "Names").
 *
 * OCI display names are not unique, may be changed, and may contain any
 * character.  A file name is derived from a display name as follows:
 *   - '/'                      -> U+FF0F FULLWIDTH SOLIDUS  "／"
 *   - control characters 0x01..0x1f -> U+2401..U+241F ("␁".."␟"),
 *     0x7f -> U+2421 "␡"
 *   - the name "."  -> "．" (U+FF0E), ".." -> "．．"
 *   - an empty name -> "(unnamed)"
 *   - bytes that are not valid UTF-8 -> U+FFFD "�" (one per byte)
 *   - characters that could spoof a terminal or are not for interchange
 *     -> '_' each: C1 controls U+0080..U+009F (NEL U+0085 included), the
 *     bidi controls U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069,
 *     the separators U+2028 and U+2029, and the non-characters
 *     U+FDD0..U+FDEF and U+xFFFE, U+xFFFF of every plane
 *   - names longer than 255 bytes are cut at a UTF-8 character boundary
 *     (leaving room for a suffix, below)
 * Siblings whose derived names are equal get a stable suffix derived from
 * their OCID: "<name>~<last 6 characters of the OCID>" (more characters if
 * that still collides: 8, 10, ... of the OCID's last dot-separated part,
 * at most 64; then that part plus "-<rank of the OCID among the siblings>").
 * The base name is cut further so that name and suffix fit in 255 bytes.
 * Names are sticky for the life of a mount: an entry keeps the file name
 * it was given as long as its display name does not change, even when the
 * set of siblings changes; so a name only changes when OCI's does.  (After
 * a remount, every member of a group of same-named siblings carries a
 * suffix.)
 */
#ifndef NAMES_H
#define NAMES_H

#include <stddef.h>

/* Longest file name (bytes, without NUL), as NAME_MAX. */
#define NAMES_MAX 255

/*
 * Derive the file name of `display` (NULL: as "") into `out` (size `n` >=
 * NAMES_MAX + 1), cut so that `reserve` more bytes (a suffix) still fit in
 * NAMES_MAX.  0 or -EINVAL (n too small, or reserve >= NAMES_MAX).
 */
int names_sanitize(const char *display, size_t reserve, char *out, size_t n);

struct names_entry {
	const char *display; /* current display name (input) */
	const char *ocid; /* the resource's OCID (input) */
	const char *prev_display; /* display name when last named, or NULL */
	const char *prev_name; /* file name given then, or NULL */
	char name[NAMES_MAX + 1]; /* output */
};

/*
 * Give every entry of one directory a unique file name following the rules
 * above.  `v` may be in any order; the result does not depend on it.
 * An entry keeps prev_name when prev_display equals display and prev_name
 * is a usable file name (1..255 bytes, no '/', not "." or ".."); if two
 * entries claim the same prev_name, the smaller OCID keeps it.  Any other
 * entry gets its derived name unsuffixed only when no other entry derives
 * the same name and no kept name equals it.  Inputs may point into `v`'s
 * own name arrays (all inputs are read before any output is written).
 * 0, -ENOMEM, or -EEXIST when two entries share an OCID.
 */
int names_assign(struct names_entry *v, size_t n);

#endif /* NAMES_H */
