/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the tree without a client (fixed paths, the root's compact
 * record, counters, opendir of fixed directories).  Listings need the
 * emulator: tests/integration/test_tree.py and test_cache.py.
 */
#include <errno.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "tree.h"
#include "tap.h"

#define ROOT "ocid1.tenancy.oc1..aaaaaaaaexampleexampleexample"

static int stale_calls;

static void on_stale(void *arg, const char *path, bool names)
{
	(void)arg;
	(void)path;
	(void)names;
	stale_calls++;
}

static int count_fill(void *arg, const char *name, const struct tree_path *p)
{
	struct buf *b = arg;

	(void)p;
	return buf_addf(b, "%s,", name);
}

static void test_opts(struct clock *clk)
{
	struct tree *t = (struct tree *)1;

	is_int(tree_new(&t, &(struct tree_opts){.clock = clk}), -EINVAL,
	       "a root OCID is required");
	ok(!t, "nothing is returned on failure");
}

static void test_root(struct tree *t, int64_t made)
{
	struct tree_node *root = tree_root(t);
	struct oci_compartment c;
	char name[NAMES_MAX + 1];
	struct buf b = BUF_INIT(4096);

	is_str(root->id, ROOT, "the node's id is its OCID");
	is_int(root->kind, TREE_COMPARTMENT, "the root is a compartment");
	ok(!tree_node_parent(root), "the root has no parent");
	tree_node_compartment(root, &c);
	is_str(c.id, ROOT, "the record's id comes from the node");
	is_str(c.name, "Tenancy One", "root name kept");
	is_str(c.lifecycle_state, "ACTIVE", "root state");
	is_str(c.description, "", "absent fields are empty");
	ok(!c.json, "no JSON is kept");
	is_int(tree_node_mtime(root), made, "mtime: creation time");
	tree_node_name(root, name);
	is_str(name, "", "the root has no file name");
	ok(!tree_node_path(root, &b) && b.len == 0, "the root's path is empty");
	buf_release(&b);
}

static void test_resolve(struct tree *t)
{
	struct tree_path p;
	struct tree_stats s;

	ok(!tree_resolve(t, "/", &p) && p.what == TW_COMPARTMENT &&
		   p.node == tree_root(t),
	   "/ is the root compartment");
	ok(!tree_resolve(t, "//id", &p) && p.what == TW_ID, "/id");
	ok(!tree_resolve(t, "/.ocivaultfs/stats", &p) && p.what == TW_CTL_STATS,
	   "/.ocivaultfs/stats");
	is_int(tree_resolve(t, "/id/x", &p), -ENOTDIR, "a file has no entries");
	is_int(tree_resolve(t, "/nope", &p), -ENOENT, "unknown fixed name");
	is_int(tree_resolve(t, "/.ocivaultfs/nope", &p), -ENOENT,
	       "unknown control file");
	tree_stats(t, &s);
	is_int(s.probes, 2, "names that cannot exist are counted as probes");
	is_int(s.cache_misses, 0, "no listing was fetched");
	is_int(s.nodes, 1, "one node");
	ok(s.bytes > 0 && s.bytes < 1024, "the root costs %llu bytes",
	   (unsigned long long)s.bytes);
}

static void test_fixed_dirs(struct tree *t)
{
	struct buf b = BUF_INIT(4096);
	struct tree_path p;
	bool unchanged = false;

	ok(!tree_resolve(t, "/", &p), "resolve /");
	ok(!tree_readdir(t, &p, count_fill, &b, NULL), "readdir /");
	is_str(b.buf,
	       "id,compartments,vaults,restore-vault,restore-vault-status,"
	       "restore-vault.d,.ocivaultfs,",
	       "the root's fixed entries (the wait file is not listed)");
	ok(!tree_resolve(t, "/restore-vault-wait", &p) &&
		   p.what == TW_RESTORE_WAIT && tree_is_unlisted(p.what),
	   "the unlisted wait file is found by name");
	ok(!tree_resolve(t, "/", &p), "resolve / again");
	ok(!tree_opendir(t, &p, &unchanged, NULL) && unchanged,
	   "a fixed directory never changes");
	ok(!tree_resolve(t, "/id", &p), "resolve /id");
	is_int(tree_opendir(t, &p, &unchanged, NULL), -ENOTDIR,
	       "opendir of a file");
	is_int(stale_calls, 0, "nothing was reported stale");
	buf_release(&b);
}

/* What ops.c's inode numbers and invalidation rely on. */
static void test_lowlevel(struct tree *t)
{
	char longname[NAMES_MAX + 2];
	struct tree_path dir, p;
	struct tree_stats before, after;

	is_int(tree_node_index(tree_root(t)), 0, "the root is node 0");
	ok(tree_node_at(t, 0) == tree_root(t), "node 0 maps back to the root");
	ok(!tree_node_at(t, 1), "no node 1 yet");
	ok(!tree_node_at(t, UINT64_MAX >> 4), "a number out of range: none");
	ok(!tree_resolve(t, "/", &dir), "resolve /");
	ok(!tree_lookup(t, &dir, "id", &p, NULL) && p.what == TW_ID &&
		   p.node == tree_root(t),
	   "lookup: one step from a tree_path");
	ok(!tree_lookup(t, &dir, TREE_CTL_NAME, &p, NULL) && p.what == TW_CTL,
	   "lookup of the control directory at the root");
	is_int(tree_lookup(t, &p, "nope", &p, NULL), -ENOENT,
	       "lookup of an unknown control file");
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	is_int(tree_lookup(t, &dir, longname, &p, NULL), -ENAMETOOLONG,
	       "lookup of a name longer than NAMES_MAX");
	ok(tree_fresh_ms(t, &dir) == UINT64_MAX,
	   "a fixed directory's names never go stale");
	tree_stats(t, &before);
	ok(!tree_resolve_cached(t, "/.ocivaultfs/stats", &p) &&
		   p.what == TW_CTL_STATS,
	   "cached resolution of a fixed path");
	is_int(tree_resolve_cached(t, "/nope", &p), -ENOENT,
	       "cached resolution of an unknown name");
	tree_stats(t, &after);
	is_int(after.probes, before.probes, "cached resolution counts nothing");
}

int main(void)
{
	struct clock_fake cf;
	struct clock clk;
	struct logger lg = {log_stderr, NULL, LOG_ERR};
	struct tree *t = NULL;

	clock_fake_init(&cf, &clk);
	cf.wall = 1417737600;
	test_opts(&clk);
	ok(!tree_new(&t, &(struct tree_opts){.clock = &clk,
					     .log = &lg,
					     .cache_ttl = 60,
					     .root_id = ROOT,
					     .root_name = "Tenancy One",
					     .on_stale = on_stale}),
	   "tree_new without a client");
	if (t) {
		test_root(t, clock_wall_s(&clk));
		test_resolve(t);
		test_fixed_dirs(t);
		test_lowlevel(t);
	}
	tree_free(t);
	return done_testing();
}
