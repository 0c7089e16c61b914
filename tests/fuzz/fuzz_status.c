/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the `status` text (fs/backups.c: backups_report_render()) and read it
 * back.  The input fills a struct backups_report: the first bytes give the
 * state, origin, numbers and flags, the rest, split at NUL bytes, the
 * strings, which get what their producers guarantee (no control
 * characters: they are OCIDs, enums, redacted targets, object names and
 * messages cut to one line, docs/ocivaultfs.md "status").
 *
 * Invariants (include/backups.h): the text is "name: value" lines, each
 * ending in '\n', names of [a-z_], the first one "state: <state>"; each
 * set string field shows as its own line with exactly its value (target,
 * object, work_request, request_id, key_state, note, eligible), so that a
 * script reading `status` can rely on it; rendering into a buffer too
 * small for it fails (-EMSGSIZE) rather than showing a truncated text.
 */
#include <errno.h>

#include "backups.h"
#include "buf.h"
#include "fuzz.h"

/* Take the next NUL-terminated piece of the input into `dst`, control
 * characters replaced by '?', cut to fit. */
static const uint8_t *piece(const uint8_t *p, const uint8_t *end, char *dst,
			    size_t n)
{
	size_t o = 0;

	while (p < end && *p) {
		if (o + 1 < n)
			dst[o++] = (*p < 0x20 || *p == 0x7f) ? '?' : (char)*p;
		p++;
	}
	dst[o] = '\0';
	return p < end ? p + 1 : p;
}

/* The value of line "name: " in `text`, or NULL. */
static const char *value_of(const char *text, const char *name, size_t *len)
{
	size_t nl = strlen(name);

	for (const char *l = text; *l; l = strchr(l, '\n') + 1) {
		if (!strncmp(l, name, nl) && l[nl] == ':' && l[nl + 1] == ' ') {
			*len = strcspn(l + nl + 2, "\n");
			return l + nl + 2;
		}
	}
	return NULL;
}

static void shows(const char *text, const char *name, const char *want,
		  const char *prefix)
{
	size_t len = 0, pl = strlen(prefix);
	const char *v;

	if (!want[0])
		return;
	v = value_of(text, name, &len);
	FUZZ_CHECK(v, "no '%s' line in:\n%s", name, text);
	FUZZ_CHECK(len == pl + strlen(want) && !strncmp(v, prefix, pl) &&
			   !strncmp(v + pl, want, len - pl),
		   "'%s' shows '%.*s', not '%s%s'", name, (int)len, v, prefix,
		   want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct backups_report *s = calloc(1, sizeof(*s));
	struct buf out = BUF_INIT(64 * 1024), small = BUF_INIT(64);
	const uint8_t *p = data, *end = data + size;
	const char *l;
	int ret;

	if (!s)
		abort();
	if (size < 8)
		goto out;
	s->state = (enum backups_state)(p[0] % (BACKUPS_FAILED + 1));
	s->origin =
		(p[1] & 1) ? BACKUPS_ORIGIN_ELSEWHERE : BACKUPS_ORIGIN_MOUNT;
	s->progress = p[2] > 200 ? -1 : p[2] / 2.0;
	s->object_size = p[3] > 127 ? -1 : (int64_t)p[3] << (p[4] % 40);
	s->object_unverified = p[5] & 1;
	s->tracking_by_key_state = p[5] & 2;
	s->submitted = (p[6] & 1) ? 1700000000 : 0;
	s->started = (p[6] & 2) ? 1700000100 : 0;
	s->finished = (p[6] & 4) ? 1700000200 : 0;
	s->rejected_at = 1700000300;
	s->error_errno = (p[7] % 8) ? -(int)(p[7] % 130) : 0;
	p += 8;
	p = piece(p, end, s->target, sizeof(s->target));
	p = piece(p, end, s->object, sizeof(s->object));
	p = piece(p, end, s->work_request, sizeof(s->work_request));
	p = piece(p, end, s->request_id, sizeof(s->request_id));
	p = piece(p, end, s->key_state, sizeof(s->key_state));
	p = piece(p, end, s->eligible, sizeof(s->eligible));
	p = piece(p, end, s->rejected, sizeof(s->rejected));
	p = piece(p, end, s->note, sizeof(s->note));
	p = piece(p, end, s->error.code, sizeof(s->error.code));
	p = piece(p, end, s->error.message, sizeof(s->error.message));
	if (s->error.code[0])
		s->error.http_status = 400 + (int)(size % 200);

	ret = backups_report_render(s, &out);
	FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "render %d", ret);
	if (ret)
		goto out;
	FUZZ_CHECK(out.len && out.buf[out.len - 1] == '\n', "last line");
	FUZZ_CHECK(strlen(out.buf) == out.len, "NUL in the text");
	for (l = out.buf; *l; l = strchr(l, '\n') + 1) {
		size_t name = strspn(l, "abcdefghijklmnopqrstuvwxyz_");

		FUZZ_CHECK(name && l[name] == ':' && l[name + 1] == ' ',
			   "not a 'name: value' line: %.*s",
			   (int)strcspn(l, "\n"), l);
	}
	FUZZ_CHECK(!strncmp(out.buf, "state: ", 7), "first line");
	shows(out.buf, "state", backups_state_name(s->state), "");
	shows(out.buf, "target", s->target, "");
	shows(out.buf, "object", s->object, "");
	shows(out.buf, "work_request", s->work_request, "");
	shows(out.buf, "request_id", s->request_id, "");
	shows(out.buf, "key_state", s->key_state, "");
	shows(out.buf, "note", s->note, "");
	shows(out.buf, "eligible", s->eligible, "no, ");

	/* Too small a buffer: a failure, not a cut text shown as whole. */
	ret = backups_report_render(s, &small);
	if (out.len > 64)
		FUZZ_CHECK(ret == -EMSGSIZE || ret == -ENOMEM,
			   "%zu bytes into 64: %d", out.len, ret);
	else
		FUZZ_CHECK(!ret && small.len == out.len, "small render");
out:
	buf_release(&out);
	buf_release(&small);
	free(s);
	return 0;
}
