/* SPDX-License-Identifier: MIT */
/* Unit tests for fs/drop.c: when a dropped file is submitted, and what
 * stays in the table. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drop.h"
#include "tap.h"

/* Fake directories: only their addresses matter. */
static struct tree_node *const DIR_A = (struct tree_node *)(uintptr_t)0x1000;
static struct tree_node *const DIR_B = (struct tree_node *)(uintptr_t)0x2000;

static int64_t fake_now;
static int calls;
static int answer;
static char last_name[64];
static unsigned char last[64];
static size_t last_len;

static int64_t now(void)
{
	return fake_now;
}

static int submit(void *arg, struct tree_node *where, const char *name,
		  const unsigned char *bytes, size_t len,
		  bool (*interrupted)(void *iarg), void *iarg)
{
	(void)arg;
	(void)where;
	(void)interrupted;
	(void)iarg;
	calls++;
	snprintf(last_name, sizeof(last_name), "%s", name);
	last_len = len < sizeof(last) ? len : sizeof(last);
	memcpy(last, bytes, last_len);
	return answer;
}

static int count_fn(void *arg, const char *name, const struct drop_attr *a)
{
	(void)name;
	(void)a;
	(*(int *)arg)++;
	return 0;
}

static int count(struct drop *d, struct tree_node *dir)
{
	int n = 0;

	must(drop_readdir(d, dir, count_fn, &n));
	return n;
}

static struct drop *make(size_t max)
{
	struct drop *d;

	must(drop_new(&d, &(struct drop_opts){.max_file_bytes = max,
					      .submit = submit,
					      .now_ms = now}));
	return d;
}

static void test_submit_at_flush(void)
{
	struct drop *d = make(100);
	struct drop_entry *e, *e2;
	struct drop_attr a;

	calls = 0;
	answer = 0;
	must(drop_open(d, DIR_A, "k.backup", true, true, true, &e, &a));
	ok(drop_is_ino(a.ino) && a.size == 0, "a new entry, its own inode");
	is_int(drop_flush(d, e, NULL, NULL), 0, "an empty close: nothing");
	is_int(calls, 0, "not submitted");
	is_int(drop_write(d, e, "\0bc", 3, 5), 0, "a write past the end");
	must(drop_getattr(d, a.ino, &a));
	is_int((int)a.size, 8, "the hole counts");
	must(drop_open_ino(d, a.ino, false, &e2, NULL));
	is_int(drop_flush(d, e, NULL, NULL), 0, "submitted at close");
	is_int(calls, 1, "once");
	is_int((int)last_len, 8, "all bytes");
	ok(!memcmp(last, "\0\0\0\0\0\0bc", 8), "exactly, zeros in the hole");
	is_int(drop_flush(d, e2, NULL, NULL), 0, "the other close: nothing");
	is_int(calls, 1, "still once");
	must(drop_getattr(d, a.ino, &a));
	ok(a.readonly && a.size == 0, "accepted: read-only, bytes freed");
	is_int(drop_write(d, e2, "x", 1, 0), -EACCES, "no more writes");
	fake_now += DROP_LINGER_MS;
	is_int(count(d, DIR_A), 0, "gone after the linger");
	drop_release(d, e);
	drop_release(d, e2);
	drop_free(d);
}

static void test_refusals(void)
{
	struct drop *d = make(10);
	struct drop_entry *e;

	calls = 0;
	answer = -EEXIST;
	must(drop_open(d, DIR_A, "a", true, false, false, &e, NULL));
	is_int(drop_write(d, e, "0123456789x", 11, 0), -EFBIG, "the bound");
	is_int(drop_truncate(d, e, 0, 11), -EFBIG, "truncate too");
	must(drop_write(d, e, "abc", 3, 0));
	is_int(drop_flush(d, e, NULL, NULL), -EEXIST, "OCI's refusal");
	is_int(count(d, DIR_A), 0, "refused: removed");
	drop_release(d, e);

	must(drop_open(d, DIR_A, "b", true, false, false, &e, NULL));
	must(drop_write(d, e, "abc", 3, 0));
	must(drop_truncate(d, e, 0, 0));
	is_int(drop_flush(d, e, NULL, NULL), -EINVAL, "written, then empty");
	is_int(calls, 1, "not submitted");
	drop_release(d, e);
	is_int(count(d, DIR_A), 0, "removed");

	is_int(drop_open(d, DIR_A, "x/y", true, false, false, &e, NULL),
	       -EINVAL, "no slash");
	is_int(drop_open(d, DIR_A, "..", true, false, false, &e, NULL), -EINVAL,
	       "no ..");
	must(drop_open(d, DIR_A, "c", true, false, false, &e, NULL));
	drop_release(d, e);
	is_int(drop_open(d, DIR_A, "c", true, true, false, &e, NULL), -EEXIST,
	       "O_EXCL");
	is_int(drop_open(d, DIR_B, "c", false, false, false, &e, NULL), -ENOENT,
	       "per directory");
	is_int(drop_unlink(d, DIR_A, "c"), 0, "unlink");
	is_int(drop_unlink(d, DIR_A, "c"), -ENOENT, "gone");
	drop_free(d);
}

static void test_rename(void)
{
	struct drop *d = make(100);
	struct drop_entry *e;

	calls = 0;
	answer = 0;
	must(drop_open(d, DIR_A, ".goutputstream-1", true, true, false, &e,
		       NULL));
	must(drop_write(d, e, "data", 4, 0));
	is_int(drop_flush(d, e, NULL, NULL), 0, "hidden: not at close");
	is_int(calls, 0, "not submitted");
	drop_release(d, e);
	must(drop_open(d, DIR_A, "x", true, true, false, &e, NULL));
	drop_release(d, e); /* an empty placeholder (touch) */
	is_int(drop_rename(d, DIR_A, ".goutputstream-1", "x", true, NULL, NULL),
	       -EEXIST, "RENAME_NOREPLACE");
	is_int(drop_rename(d, DIR_A, ".goutputstream-1", "x", false, NULL,
			   NULL),
	       0, "renamed over the placeholder: submitted");
	is_int(calls, 1, "once");
	is_str(last_name, "x", "under the new name");
	is_int(count(d, DIR_A), 1, "only the accepted one listed");
	drop_free(d);
}

int main(void)
{
	test_submit_at_flush();
	test_refusals();
	test_rename();
	return done_testing();
}
