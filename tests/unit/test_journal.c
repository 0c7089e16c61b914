/* SPDX-License-Identifier: MIT */
/* Unit tests: the backup journal (fs/journal.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "tap.h"
#include "testutil.h"

#define TEN "ocid1.tenancy.oc1..aaaatest"
#define KEY1 "ocid1.key.oc1.iad.k1"
#define KEY2 "ocid1.key.oc1.iad.k2"
#define PAR                                                     \
	"https://objectstorage.us-ashburn-1.oraclecloud.com/p/" \
	"S3cr3tT0kenXYZ/n/ns/b/bkt/o/"

static char logged[4096];
static int nlogged;

static void capture(void *arg, int level, const char *msg)
{
	(void)arg;
	(void)level;
	nlogged++;
	snprintf(logged, sizeof(logged), "%s", msg);
}

static struct logger lg = {capture, NULL, LOG_DEBUG};

static int fsyncs, fail_fsync;

static int counting_fsync(int fd)
{
	fsyncs++;
	if (fail_fsync) {
		errno = EIO;
		return -1;
	}
	return fsync(fd);
}

static struct journal_opts opts(const char *dir, uint64_t max)
{
	struct journal_opts o = {0};

	o.dir = dir;
	o.tenancy = TEN;
	o.profile = "DEFAULT";
	o.log = &lg;
	o.max_bytes = max;
	o.fsync_fn = counting_fsync;
	return o;
}

static struct journal *open_j(const char *dir, uint64_t max)
{
	struct journal_opts o = opts(dir, max);
	struct journal *j = NULL;
	char why[256];
	int ret = journal_open(&j, &o, why, sizeof(why));

	if (ret)
		printf("# journal_open: %d %s\n", ret, why);
	return j;
}

static char *slurp(const char *path)
{
	static char data[1 << 20];
	FILE *f = fopen(path, "r");
	size_t n;

	data[0] = '\0';
	if (!f)
		return data;
	n = fread(data, 1, sizeof(data) - 1, f);
	data[n] = '\0';
	fclose(f);
	return data;
}

static struct journal_entry entry(const char *key, const char *object)
{
	struct journal_entry e = {0};

	e.submitted = 1764780000;
	e.state = "submitting";
	e.key = key;
	e.path = "compartments/P/vaults/v/keys/k";
	e.target = "backups";
	e.ns = "ns";
	e.bucket = "backups";
	e.object = object;
	e.token = "tok";
	return e;
}

static void test_name(void)
{
	char n[256];

	ok(!journal_name(TEN, "DEFAULT", n, sizeof(n)), "name");
	ok(!strncmp(n, TEN "-DEFAULT-", strlen(TEN) + 9), "name: %s", n);
	ok(!journal_name(TEN, "../../etc/x y", n, sizeof(n)), "hostile");
	ok(!strchr(n, '/') && !strchr(n, ' '), "no slash, no space: %s", n);
	{
		char m[256];

		ok(!journal_name(TEN, "../../etc/x_y", m, sizeof(m)), "other");
		ok(strcmp(n, m), "sanitised names still differ (hash)");
	}
	is_int(journal_name("", "DEFAULT", n, sizeof(n)), -EINVAL,
	       "no tenancy");
}

static void test_escape(void)
{
	struct buf b = BUF_INIT(256);

	ok(!journal_escape(&b, "a\tb\nc\\d\x01"), "escape");
	is_str(b.buf, "a\\tb\\nc\\\\d\\x01", "escaped");
	buf_release(&b);
}

static int count_cb(void *arg, const struct journal_entry *e)
{
	int *n = arg;

	(*n)++;
	if (!strcmp(e->key, KEY2)) {
		is_str(e->wr, "ocid1.workrequest.2",
		       "unfinished: work request");
		is_str(e->object, "o\tb2", "unfinished: object (escaped back)");
		is_str(e->state, "in_progress", "unfinished: its latest state");
	}
	return 0;
}

static void test_roundtrip(void)
{
	struct journal *j = open_j(path_of("rt"), 0);
	struct buf h = BUF_INIT(1 << 16);
	uint64_t id1 = 0, id2 = 0;
	struct journal_entry e;
	struct stat st;
	int n = 0;
	char *file;

	ok(j, "open");
	if (!j)
		return;
	ok(!journal_read_only(j), "the first opener writes");
	ok(!stat(path_of("rt"), &st) && (st.st_mode & 0777) == 0700,
	   "directory 0700");
	ok(!stat(journal_path(j), &st) && (st.st_mode & 0777) == 0600,
	   "file 0600");
	e = entry(KEY1, "o1");
	ok(!journal_begin(j, &e, &id1) && id1, "begin 1");
	fsyncs = 0;
	ok(!journal_accepted(j, id1, 1764780001, "ocid1.workrequest.1", "REQ1"),
	   "accepted 1");
	ok(fsyncs >= 1, "accepted: fsynced (%d)", fsyncs);
	journal_set(j, id1, 1764780002, "in_progress", 0, NULL, NULL, NULL,
		    NULL);
	journal_set(j, id1, 1764780010, "failed", 1764780009, "EIO",
		    "ObjectNotFound", "no object", "REQ1b");
	e = entry(KEY2, "o\tb2");
	ok(!journal_begin(j, &e, &id2) && id2 > id1, "begin 2");
	ok(!journal_accepted(j, id2, 1764780003, "ocid1.workrequest.2", "R2"),
	   "accepted 2");
	journal_set(j, id2, 1764780004, "in_progress", 0, NULL, NULL, NULL,
		    NULL);
	ok(!journal_in_flight(j, KEY1), "key 1 finished");
	ok(journal_in_flight(j, KEY2), "key 2 in flight");
	ok(!journal_history(j, KEY1, &h), "history of key 1");
	is_str(h.buf,
	       "2025-12-03T16:40:00Z\tfailed\tcompartments/P/vaults/v/keys/k\t"
	       "ns/backups/o1\tocid1.workrequest.1\t2025-12-03T16:40:09Z\t"
	       "EIO\tObjectNotFound\tkey-backup\n",
	       "history line");
	journal_free(j);

	file = slurp(path_of("rt/" TEN "-DEFAULT-"));
	(void)file;
	j = open_j(path_of("rt"), 0);
	ok(j, "reopen");
	if (!j)
		return;
	buf_reset(&h);
	ok(!journal_history(j, NULL, &h), "history after reopen");
	ok(strstr(h.buf, "failed\t") && strstr(h.buf, "in_progress\t"),
	   "both entries back");
	ok(strstr(h.buf, "ns/backups/o\\tb2\t"), "escaped in history");
	ok(!journal_each_unfinished(j, count_cb, &n), "unfinished");
	is_int(n, 1, "one unfinished");
	ok(journal_in_flight(j, KEY2), "still in flight after reopen");
	{
		uint64_t id3;

		e = entry(KEY1, "o3");
		ok(!journal_begin(j, &e, &id3) && id3 > id2,
		   "ids continue after reopen");
	}
	journal_free(j);
	buf_release(&h);
}

static void test_torn(void)
{
	struct journal *j = open_j(path_of("torn"), 0);
	struct journal_entry e = entry(KEY1, "o1");
	struct buf h = BUF_INIT(1 << 16);
	char path[600];
	uint64_t id, id2;
	int fd;

	ok(j, "open");
	if (!j)
		return;
	ok(!journal_begin(j, &e, &id), "begin");
	ok(!journal_accepted(j, id, 2, "wr1", "r1"), "accepted");
	snprintf(path, sizeof(path), "%s", journal_path(j));
	journal_free(j);
	/* A crash in the middle of a write. */
	fd = open(path, O_WRONLY | O_APPEND);
	ok(fd >= 0 && write(fd, "r=set\tid=1\tt=3\tstate=succ", 25) == 25,
	   "torn record appended");
	close(fd);
	nlogged = 0;
	j = open_j(path_of("torn"), 0);
	ok(j, "a torn last record does not stop the open");
	if (!j)
		return;
	ok(nlogged && strstr(logged, "1 of 3 lines skipped") &&
		   strstr(logged, "last one"),
	   "logged: %s", logged);
	ok(journal_in_flight(j, KEY1), "the torn update is not applied");
	e = entry(KEY2, "o2");
	ok(!journal_begin(j, &e, &id2), "write after a torn record");
	journal_free(j);
	j = open_j(path_of("torn"), 0);
	ok(j, "reopen");
	if (!j)
		return;
	ok(!journal_history(j, KEY2, &h) && strstr(h.buf, "submitting"),
	   "the record after the torn one is read back");
	/* A damaged line (bad hash) in the middle is skipped as well. */
	journal_free(j);
	fd = open(path, O_WRONLY | O_APPEND);
	ok(fd >= 0 && write(fd, "r=set\tid=1\tstate=failed\t#00000000\n", 34) ==
			      34,
	   "line with a wrong hash");
	close(fd);
	j = open_j(path_of("torn"), 0);
	ok(j && journal_in_flight(j, KEY1), "a forged line is not applied");
	journal_free(j);
	buf_release(&h);
}

static void test_rotation(void)
{
	struct journal *j = open_j(path_of("rot"), 4096);
	struct journal_entry e;
	struct buf h = BUF_INIT(1 << 20);
	uint64_t keep = 0, id;
	char key[64], obj[64], *cur;
	struct stat st;
	int i;

	ok(j, "open");
	if (!j)
		return;
	e = entry(KEY2, "carried");
	ok(!journal_begin(j, &e, &keep), "the unfinished one");
	ok(!journal_accepted(j, keep, 1, "ocid1.workrequest.keep", "rq"),
	   "accepted");
	for (i = 0; i < 60; i++) {
		snprintf(key, sizeof(key), "ocid1.key.oc1.iad.f%d", i);
		snprintf(obj, sizeof(obj), "obj-%d", i);
		e = entry(key, obj);
		if (journal_begin(j, &e, &id))
			break;
		journal_set(j, id, 5, "succeeded", 6, NULL, NULL, NULL, NULL);
	}
	is_int(i, 60, "60 finished backups written");
	memset(&st, 0, sizeof(st));
	must(stat(journal_path(j), &st));
	ok(st.st_size && st.st_size < 4096 + 1024,
	   "the current file stays bounded (%lld)", (long long)st.st_size);
	{
		char old[700];

		snprintf(old, sizeof(old), "%s.1", journal_path(j));
		ok(!stat(old, &st) && st.st_size < 4096 + 1024,
		   "one previous file, bounded");
	}
	cur = slurp(journal_path(j));
	ok(strstr(cur, "id=1\t") && strstr(cur, "wr=ocid1.workrequest.keep"),
	   "the unfinished entry is carried over into the current file");
	ok(!strstr(cur, "obj-0\t"), "old finished ones are not");
	ok(journal_in_flight(j, KEY2), "still in flight");
	ok(!journal_history(j, NULL, &h) && !strstr(h.buf, "/obj-0\t"),
	   "history forgets what the rotation dropped");
	ok(strstr(h.buf, "/obj-59\t"), "and keeps the recent ones");
	journal_free(j);
	j = open_j(path_of("rot"), 4096);
	ok(j && journal_in_flight(j, KEY2),
	   "after reopening, the carried-over entry is unfinished");
	journal_free(j);
	buf_release(&h);
}

static void test_redaction(void)
{
	struct journal *j = open_j(path_of("par"), 0);
	struct journal_entry e = entry(KEY1, "o");
	struct buf h = BUF_INIT(1 << 16);
	uint64_t id;

	ok(j, "open");
	if (!j)
		return;
	e.target = PAR;
	ok(!journal_begin(j, &e, &id), "begin with a PAR target");
	journal_set(j, id, 3, "failed", 3, "EIO", "X",
		    "the service said: " PAR "o is bad", NULL);
	ok(!strstr(slurp(journal_path(j)), "S3cr3tT0ken"),
	   "no PAR token in the file");
	ok(strstr(slurp(journal_path(j)), "/p/"), "the URL is still there");
	ok(!journal_history(j, NULL, &h) && !strstr(h.buf, "S3cr3tT0ken"),
	   "no PAR token in history");
	journal_free(j);
	buf_release(&h);
}

static void test_fsync_failure(void)
{
	struct journal *j = open_j(path_of("fs"), 0);
	struct journal_entry e = entry(KEY1, "o");
	uint64_t id;

	ok(j, "open");
	if (!j)
		return;
	ok(!journal_begin(j, &e, &id), "begin");
	fail_fsync = 1;
	fsyncs = 0;
	is_int(journal_accepted(j, id, 2, "wr", "rq"), -EIO,
	       "a failed fsync is reported");
	is_int(fsyncs, 1, "one fsync");
	fail_fsync = 0;
	ok(journal_in_flight(j, KEY1), "the entry is kept in memory");
	journal_free(j);
}

static void test_second_opener(void)
{
	struct journal *a = open_j(path_of("two"), 0), *b;
	struct journal_entry e = entry(KEY1, "o");
	uint64_t id = 99;

	ok(a && !journal_read_only(a), "first");
	ok(!journal_begin(a, &e, &id), "first records");
	b = open_j(path_of("two"), 0);
	ok(b && journal_read_only(b), "a second opener is read-only");
	if (b) {
		ok(journal_in_flight(b, KEY1), "and sees the first's entries");
		ok(!journal_begin(b, &e, &id) && !id,
		   "and records nothing (id 0)");
	}
	journal_free(b);
	journal_free(a);
	b = open_j(path_of("two"), 0);
	ok(b && !journal_read_only(b), "the lock goes with the first");
	journal_free(b);
}

static unsigned int fnv(const char *s)
{
	unsigned int h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void sealed(FILE *f, const char *body)
{
	fprintf(f, "%s\t#%08x\n", body, fnv(body));
}

static void test_hostile_lines(void)
{
	struct journal *j = open_j(path_of("hostile"), 0);
	char path[600], big[20000];
	FILE *f;

	ok(j, "open");
	if (!j)
		return;
	snprintf(path, sizeof(path), "%s", journal_path(j));
	journal_free(j);
	f = fopen(path, "w");
	if (!f) {
		ok(0, "write the file");
		return;
	}
	sealed(f, "r=begin\tid=5\tt=1\tstate=accepted\tkey=" KEY1 "\twr=w5");
	sealed(f, "r=set\tid=5\tobject=a\\x00b"); /* NUL: bad */
	sealed(f, "r=future\tid=5\tstate=failed"); /* later version */
	sealed(f, "r=set\tid=5\tstate=fail\\q"); /* bad escape */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "r=set\tid=5\tmsg=", 15);
	sealed(f, big); /* too long */
	sealed(f, "r=set\tid=999\tstate=failed"); /* unknown id */
	sealed(f, "r=set\tid=5\tstate=failed\textra"); /* no '=' */
	fclose(f);
	nlogged = 0;
	j = open_j(path_of("hostile"), 0);
	ok(j, "hostile lines do not stop the open");
	if (!j)
		return;
	ok(nlogged && strstr(logged, "4 of 7 lines skipped"), "logged: %s",
	   logged);
	ok(journal_in_flight(j, KEY1), "none of them changed the entry");
	journal_free(j);
}

int main(void)
{
	if (tmpdir_make("journal")) {
		ok(0, "temp dir");
		return done_testing();
	}
	test_name();
	test_escape();
	test_roundtrip();
	test_torn();
	test_rotation();
	test_redaction();
	test_fsync_failure();
	test_second_opener();
	test_hostile_lines();
	tmpdir_remove();
	return done_testing();
}
