/* SPDX-License-Identifier: MIT */
/*
 * ocivaultfs: argv -> options -> profile -> client -> one signed check ->
 * fuse_session_new -> mount -> loop -> unwind (the shape of libfuse's
 * low-level examples, e.g. passthrough_ll.c).
 * Everything that can fail because of the user's setup fails before the
 * mount, with one line on stderr; the mount is never left half-made.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <fuse_lowlevel.h>
#include <systemd/sd-daemon.h>

#include "backups.h"
#include "cred.h"
#include "crypto.h"
#include "http.h"
#include "journal.h"
#include "oci.h"
#include "ops.h"
#include "opts.h"
#include "ovfs.h"
#include "profile.h"
#include "drop.h"
#include "restores.h"
#include "target.h"
#include "tree.h"
#include "banned.h"

#define DEFAULT_MAX_THREADS 64
#define DEFAULT_IDLE_THREADS 4 /* workers kept waiting when idle */
/*
 * Where messages go: -o log_file=PATH when given (foreground or not),
 * else stderr in the foreground and syslog once daemonized.  Until the
 * mount is made, warnings and errors also go to stderr with log_file=:
 * they explain a start-up failure that stderr reports.
 */
struct log_sink {
	bool use_syslog;
	int fd; /* log_file=, or -1 */
	atomic_bool starting; /* cleared once mounted (and detached) */
};

static void log_sink_fn(void *arg, int level, const char *msg)
{
	struct log_sink *s = arg;

	if (s->fd >= 0) {
		log_fd_sink(&s->fd, level, msg);
		if (level <= LOG_WARNING && atomic_load(&s->starting))
			log_stderr(NULL, level, msg);
	} else if (s->use_syslog)
		syslog(level, "%s", msg);
	else
		log_stderr(NULL, level, msg);
}

/*
 * syslog(3) says nothing when /dev/log is missing (containers, minimal
 * systems): a daemon would log into the void.  The same connects as
 * glibc's openlog(): datagram, then stream.  0 or -errno.
 */
static int syslog_reachable(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int ret = -ENOENT;

	buf_copy(sa.sun_path, sizeof(sa.sun_path), _PATH_LOG);
	for (int i = 0; i < 2; i++) {
		int fd = socket(AF_UNIX,
				(i ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC,
				0);

		if (fd < 0)
			return -errno;
		ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno
								      : 0;
		close(fd);
		if (!ret)
			break;
	}
	return ret;
}

/*
 * Refuse to hide an existing mount (a mount point already mounted, or a
 * FUSE mount whose daemon died) unless -o overmount: one line, before
 * anything else is done.  /dev/fd/N (a descriptor from mount.fuse3's
 * drop_privileges) is libfuse's business.
 */
static int check_mountpoint(const char *mnt, bool overmount)
{
	struct statx stx;

	if (overmount || !strncmp(mnt, "/dev/fd/", 8))
		return 0;
	/* forced: cached attributes would hide a dead FUSE mount */
	if (statx(AT_FDCWD, mnt, AT_NO_AUTOMOUNT | AT_STATX_FORCE_SYNC,
		  STATX_BASIC_STATS, &stx)) {
		if (errno == ENOTCONN) {
			fprintf(stderr,
				"ocivaultfs: '%s' is a mount whose daemon has "
				"ended: `fusermount3 -u %s' first\n",
				mnt, mnt);
			return -ENOTCONN;
		}
		return 0; /* libfuse says what is wrong with it */
	}
	if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	    (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) {
		fprintf(stderr,
			"ocivaultfs: '%s' is already a mount point "
			"(unmount it first, or -o overmount)\n",
			mnt);
		return -EBUSY;
	}
	return 0;
}

/*
 * libfuse's own messages (fuse_log()) go to the same sink as ours, so that
 * they reach syslog when daemonized.  fuse_set_log_func() takes no
 * argument: the logger is set once, before the session exists, and only
 * read afterwards.
 */
static const struct logger *fuse_logger;

static void fuse_log_fn(enum fuse_log_level level, const char *fmt, va_list ap)
{
	/* libfuse sometimes writes one line in several calls: gather the
	 * pieces (per thread) until the newline. */
	static _Thread_local char line[1024];
	static _Thread_local size_t len;
	int n;

	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	if (n < 0)
		return;
	len += (size_t)n < sizeof(line) - len ? (size_t)n
					      : sizeof(line) - len - 1;
	if (len && line[len - 1] != '\n' && len < sizeof(line) - 1)
		return;
	while (len && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len) /* its levels are syslog's */
		log_msg(fuse_logger, (int)level, "%s", line);
	len = 0;
	line[0] = '\0';
}

/* Explain a failed start-up call in one line, with the likely fix. */
static void explain(const struct ovfs *o, const struct profile *prof,
		    const char *what, const struct oci_error *err,
		    const char *url)
{
	char line[1536];

	oci_error_format(err, line, sizeof(line));
	if (err->http_status == 401 && oci_client_is_session(o->client))
		fprintf(stderr, "ocivaultfs: authentication failed: %s\n",
			line);
	else if (err->http_status == 401)
		fprintf(stderr,
			"ocivaultfs: authentication failed: %s; check "
			"'fingerprint' and 'key_file' of profile '%s' in "
			"'%s'\n",
			line, prof->name, prof->path);
	else if (err->net == OCI_NET_TLS)
		fprintf(stderr,
			"ocivaultfs: TLS verification of %s failed: %s%s\n",
			url, line,
			o->opts.cacert
				? " (check cacert=)"
				: " (use -o cacert=PATH for a private CA)");
	else if (err->net != OCI_NET_OK)
		fprintf(stderr, "ocivaultfs: cannot reach %s: %s\n", url, line);
	else if (err->http_status == 404)
		fprintf(stderr,
			"ocivaultfs: %s: not found or not authorized: %s\n",
			what, line);
	else
		fprintf(stderr, "ocivaultfs: %s failed: %s\n", what, line);
}

/*
 * The cheap signed call that proves the setup works, and names the root.
 * Its retries are few, quick and quiet: a wrong endpoint is reported
 * within seconds, in one line, rather than after the 91 s of backoff that
 * suit a mounted filesystem riding out an outage.
 */
static int preflight(struct ovfs *o, const struct profile *prof)
{
	const char *url = oci_client_endpoint(o->client, REGION_SVC_IDENTITY);
	struct retry_policy quick = {.max_attempts = 3,
				     .base_ms = 100,
				     .cap_ms = 250,
				     .jitter_ms = 50,
				     .max_total_ms = 5000};
	struct retry_policy normal = RETRY_POLICY_DEFAULT;
	int level = o->log.max_level;
	struct oci_error err;
	int ret;

	normal.max_attempts = o->opts.retries;
	if (quick.max_attempts > normal.max_attempts)
		quick.max_attempts = normal.max_attempts;
	oci_client_set_retry(o->client, &quick);
	if (level < LOG_DEBUG)
		o->log.max_level = LOG_WARNING;

	if (o->opts.compartment) {
		struct oci_compartment c = {0};

		ret = oci_get_compartment(o->client, o->opts.compartment, &c,
					  &err);
		if (!ret) {
			buf_copy(o->root_id, sizeof(o->root_id), c.id);
			buf_copy(o->root_name, sizeof(o->root_name), c.name);
		}
		model_compartment_release(&c);
	} else {
		struct oci_tenancy t = {0};

		ret = oci_get_tenancy(o->client, oci_client_tenancy(o->client),
				      &t, &err);
		if (!ret) {
			buf_copy(o->root_id, sizeof(o->root_id), t.id);
			buf_copy(o->root_name, sizeof(o->root_name), t.name);
		}
		model_tenancy_release(&t);
	}
	o->log.max_level = level;
	oci_client_set_retry(o->client, &normal);
	if (ret)
		explain(o, prof,
			o->opts.compartment ? "GetCompartment" : "GetTenancy",
			&err, url);
	return ret;
}

static int make_client(struct ovfs *o, struct profile *prof)
{
	struct oci_client_opts co = {0};
	struct sign_ask ask;
	struct oci_error err;
	char why[512];
	int ret;

	/* -o region wins over the profile, which wins over $OCI_REGION: a
	 * profile without a region is complete when the option is given. */
	if (o->opts.region && setenv("OCI_REGION", o->opts.region, 1))
		return -errno;
	ret = profile_load(prof, o->opts.config, o->opts.profile, why,
			   sizeof(why));
	if (ret) {
		fprintf(stderr, "ocivaultfs: %s\n", why);
		return ret;
	}
	if (o->opts.region) {
		char *r = strdup(o->opts.region);

		if (!r)
			return -ENOMEM;
		free(prof->region);
		prof->region = r;
	}
	co.endpoint = o->opts.endpoint;
	co.ca_file = o->opts.cacert;
	co.timeout_ms = (long)o->opts.timeout * 1000;
	co.connect_timeout_ms = co.timeout_ms < 10000 ? co.timeout_ms : 10000;
	co.retry = (struct retry_policy)RETRY_POLICY_DEFAULT;
	co.retry.max_attempts = o->opts.retries;
	co.list_timeout_ms = (uint64_t)o->opts.listing_timeout * 1000;
	for (int i = 0; i < RATELIMIT_NCAT; i++)
		co.rates[i] = i == RATELIMIT_OTHER ? 0 : o->opts.rate;
	co.rates_set = true;
	co.max_pages = o->opts.max_pages;
	co.max_entries = o->opts.max_entries;
	co.max_listing_bytes = (size_t)o->opts.max_listing_mb << 20;
	co.max_response = (size_t)o->opts.max_response_kb * 1024;
	co.log = &o->log;
	cred_passphrase(&o->opts, prof, &ask, &co.ask_passphrase, &co.ask_arg);
	co.trace = o->opts.debug_http;
	co.allow_http = o->opts.allow_http;
	ret = oci_client_new(&o->client, prof, &co, &err);
	/* the key is loaded (or not): the pass phrase has done its work */
	profile_forget_pass_phrase(prof);
	if (ret) {
		char line[1024];

		oci_error_format(&err, line, sizeof(line));
		fprintf(stderr, "ocivaultfs: %s\n", line);
	}
	return ret;
}

static int endpoint_host(struct ovfs *o)
{
	struct http_url u;

	if (!o->opts.endpoint)
		return 0;
	if (http_url_parse(o->opts.endpoint, &u)) {
		fprintf(stderr, "ocivaultfs: invalid endpoint '%s'\n",
			o->opts.endpoint);
		return -EINVAL;
	}
	snprintf(o->endpoint_host, sizeof(o->endpoint_host), "%s%s%s", u.host,
		 u.port[0] ? ":" : "", u.port);
	return 0;
}

/* The backups' view of the context (backups.h, struct backups_opts). */
static int get_namespace(void *arg, char *ns, struct oci_error *err)
{
	return ovfs_namespace(arg, ns, err);
}

static bool is_exiting(void *arg)
{
	return ovfs_exiting(arg);
}

/* drop_opts.submit: a complete file dropped into a drop directory. */
static int submit_file(void *arg, struct tree_node *where, const char *name,
		       const unsigned char *bytes, size_t len,
		       bool (*interrupted)(void *iarg), void *iarg)
{
	struct ovfs *o = arg;

	return restores_submit_file(o->restores, where, name, bytes, len,
				    interrupted, iarg);
}

/*
 * The tree's view of the context (tree.h, struct tree_opts).  The tree is
 * made before the backups, and lists nothing before the mount: the check
 * is for the unwinding.
 */
static void key_seen(void *arg, struct tree_node *key, const struct oci_key *k)
{
	struct ovfs *o = arg;

	if (o->backups)
		backups_observe_key(o->backups, key, k);
}

static void vault_seen(void *arg, struct tree_node *vault,
		       const struct oci_vault *v)
{
	struct ovfs *o = arg;

	if (o->backups)
		backups_observe_vault(o->backups, vault, v);
}

/*
 * The journal of this tenancy and profile (journal.h).  Without state_dir=
 * a journal that cannot be opened is a warning (the mount works, its
 * backups are not recorded); with it, an error: the user asked for it.
 */
static int open_journal(struct ovfs *o, const struct profile *prof,
			struct journal **out)
{
	struct journal_opts jo = {0};
	char why[512];
	int ret;

	jo.dir = o->opts.state_dir;
	jo.tenancy = oci_client_tenancy(o->client);
	jo.profile = prof->name ? prof->name : profile_name(o->opts.profile);
	jo.log = &o->log;
	ret = journal_open(out, &jo, why, sizeof(why));
	if (!ret)
		return 0;
	if (o->opts.state_dir) {
		fprintf(stderr, "ocivaultfs: cannot open the journal: %s\n",
			why);
		return ret;
	}
	log_msg(&o->log, LOG_WARNING,
		"cannot open the journal (%s): backups are not recorded", why);
	return 0;
}

/* Did the user pass -o max_threads=N?  Then keep their value. */
static bool has_max_threads(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strstr(argv[i], "max_threads="))
			return true;
	return false;
}

/*
 * The command line: our options, then libfuse's.  1 when the program is
 * done (-V, -h: printed), 0 to mount, -1 on an error (said on stderr).
 */
static int parse_command_line(struct fuse_args *args,
			      struct fuse_cmdline_opts *cmd, struct ovfs *o,
			      const char *argv0)
{
	if (opts_parse(args, &o->opts))
		return -1;
	if (o->opts.show_version) {
		printf("ocivaultfs %s\n", OVFS_VERSION);
		printf("FUSE library version %s\n", fuse_pkgversion());
		return 1;
	}
	if (fuse_parse_cmdline(args, cmd))
		return -1;
	if (cmd->show_help || o->opts.show_help) {
		opts_usage(stdout, argv0);
		/* fuse_cmdline_help()'s, with our defaults (run_session()) */
		printf("FUSE options:\n"
		       "    -d   -o debug          enable debug output (implies "
		       "-f)\n"
		       "    -f                     foreground operation\n"
		       "    -s                     disable multi-threaded "
		       "operation\n"
		       "    -o clone_fd            use separate fuse device fd "
		       "for each thread\n"
		       "                           (may improve performance)\n"
		       "    -o max_idle_threads=N  the maximum number of idle "
		       "worker threads\n"
		       "                           allowed (default %d)\n"
		       "    -o max_threads=N       the maximum number of worker "
		       "threads\n"
		       "                           allowed (default %d)\n",
		       DEFAULT_IDLE_THREADS, DEFAULT_MAX_THREADS);
		fuse_lowlevel_help();
		return 1;
	}
	if (!cmd->mountpoint && !o->opts.check) {
		fprintf(stderr, "%s: no mountpoint given; see `%s -h'\n", argv0,
			argv0);
		return -1;
	}
	/* Like every other start-up failure: one line, "ocivaultfs: ...". */
	if (opts_check(&o->opts, "ocivaultfs"))
		return -1;
	if (cmd->mountpoint && !o->opts.check &&
	    check_mountpoint(cmd->mountpoint, o->opts.overmount))
		return -1;
	/* `mount -t fuse.ocivaultfs PROFILE DIR`: the source is the profile
	 * (unless -o profile= names another; it stays the fsname) */
	if (o->opts.source && !o->opts.profile) {
		o->opts.profile = strdup(o->opts.source);
		if (!o->opts.profile)
			return -1;
	}
	return 0;
}

/*
 * mount(8), findmnt and df show "PROFILE on DIR type fuse.ocivaultfs":
 * fsname is the source or the profile, subtype ours, unless given.
 * The value is escaped for libfuse's option parser (',' and '\\').
 */
static int add_mount_names(struct fuse_args *args, const struct ovfs *o,
			   const struct profile *prof)
{
	const char *name = o->opts.source ? o->opts.source : prof->name;
	char *opt = NULL;
	struct buf b = BUF_INIT(4096);
	int ret = 0;

	if (!o->opts.has_subtype &&
	    fuse_opt_add_arg(args, "-osubtype=ocivaultfs"))
		return -ENOMEM;
	if (o->opts.has_fsname || !name || !name[0])
		return 0;
	ret = buf_adds(&b, "fsname=");
	if (!ret)
		ret = buf_adds(&b, name);
	if (!ret && fuse_opt_add_opt_escaped(&opt, b.buf))
		ret = -ENOMEM;
	if (!ret &&
	    (fuse_opt_add_arg(args, "-o") || fuse_opt_add_arg(args, opt)))
		ret = -ENOMEM;
	free(opt);
	buf_release(&b);
	return ret;
}

/* The tree and the backups, wired to the context and to each other. */
static int make_fs(struct ovfs *o, struct journal *journal)
{
	if (tree_new(&o->tree,
		     &(struct tree_opts){
			     .client = o->client,
			     .log = &o->log,
			     .cache_ttl = o->opts.cache_ttl,
			     .max_nodes = o->opts.max_cached,
			     .max_bytes = (uint64_t)o->opts.max_cache_mb << 20,
			     .listing_timeout = o->opts.listing_timeout,
			     .root_id = o->root_id,
			     .root_name = o->root_name,
			     .on_key_seen = key_seen,
			     .on_vault_seen = vault_seen,
			     .on_stale = ovfs_invalidate,
			     .arg = o,
		     }) ||
	    backups_new(
		    &o->backups,
		    &(struct backups_opts){
			    .client = o->client,
			    .tree = o->tree,
			    .log = &o->log,
			    .name_template = o->template,
			    .vault_name_template = o->opts.vault_backup_name,
			    .endpoint_host = o->endpoint_host,
			    .get_namespace = get_namespace,
			    .exiting = is_exiting,
			    .arg = o,
			    .journal = journal,
			    .write_timeout_ms =
				    (uint64_t)o->opts.write_timeout * 1000,
		    }) ||
	    restores_new(&o->restores,
			 &(struct restores_opts){
				 .client = o->client,
				 .tree = o->tree,
				 .log = &o->log,
				 .endpoint_host = o->endpoint_host,
				 .get_namespace = get_namespace,
				 .exiting = is_exiting,
				 .arg = o,
				 .journal = journal,
				 .write_timeout_ms =
					 (uint64_t)o->opts.write_timeout * 1000,
				 .max_file_bytes =
					 (size_t)o->opts.max_restore_mb << 20,
			 }) ||
	    drop_new(&o->drop,
		     &(struct drop_opts){
			     .max_file_bytes = (size_t)o->opts.max_restore_mb
					       << 20,
			     .submit = submit_file,
			     .arg = o,
		     })) {
		fprintf(stderr, "ocivaultfs: out of memory\n");
		return -1;
	}
	return 0;
}

/*
 * Runs the session until unmount or a signal: 0 with *res the loop's
 * result, -1 when the multi-threaded loop's configuration could not be
 * made.  *loop is the caller's to destroy.
 */
static int run_session(struct fuse_session *se,
		       const struct fuse_cmdline_opts *cmd, int argc,
		       char **argv, struct fuse_loop_config **loop, int *res)
{
	if (cmd->singlethread) {
		*res = fuse_session_loop(se);
		return 0;
	}
	*loop = fuse_loop_cfg_create();
	if (!*loop)
		return -1;
	fuse_loop_cfg_set_clone_fd(*loop, cmd->clone_fd);
	/* libfuse's default keeps every idle worker for ever. */
	fuse_loop_cfg_set_idle_threads(
		*loop, cmd->max_idle_threads != UINT_MAX /* UINT_MAX: unset */
			       ? cmd->max_idle_threads
			       : DEFAULT_IDLE_THREADS);
	fuse_loop_cfg_set_max_threads(*loop, has_max_threads(argc, argv)
						     ? cmd->max_threads
						     : DEFAULT_MAX_THREADS);
	*res = fuse_session_loop_mt(se, *loop);
	return 0;
}

/* A signal ends the loop on purpose: that is a clean exit. */
static int exit_status(int res)
{
	return (res == 0 || res == SIGINT || res == SIGTERM || res == SIGHUP ||
		res == -SIGINT || res == -SIGTERM || res == -SIGHUP)
		       ? 0
		       : 1;
}

/*
 * Mounts and serves until unmount or a signal, then unmounts: the exit
 * status.  *loop (the multi-threaded loop's configuration) is the
 * caller's to destroy, after the session.
 */
static int serve(struct ovfs *o, const struct profile *prof,
		 struct fuse_args *args, const struct fuse_cmdline_opts *cmd,
		 struct log_sink *sink, int argc, char **argv,
		 struct fuse_loop_config **loop)
{
	struct fuse_session *se;
	int ret = 1, res;

	/*
	 * The kernel enforces the modes of ops.c:mode_of() only with
	 * default_permissions; without it, with allow_other, any user could
	 * write `backup`.  Always on (given twice is harmless).
	 */
	if (fuse_opt_add_arg(args, "-odefault_permissions") ||
	    add_mount_names(args, o, prof)) {
		fprintf(stderr, "ocivaultfs: out of memory\n");
		return 1;
	}
	se = fuse_session_new(args, &ovfs_ops, sizeof(ovfs_ops), o);
	if (!se)
		return 1;
	o->se = se;
	if (fuse_session_mount(se, cmd->mountpoint))
		goto out_destroy;
	if (fuse_set_signal_handlers(se))
		goto out_unmount;
	if (!cmd->foreground && sink->fd < 0) {
		int err = syslog_reachable();

		if (err)
			fprintf(stderr,
				"ocivaultfs: warning: syslog is not reachable "
				"(%s: %s): the daemon's messages are lost; "
				"use -o log_file=PATH or -f\n",
				_PATH_LOG, strerror(-err));
		openlog("ocivaultfs", LOG_PID, LOG_DAEMON);
		sink->use_syslog = true;
	}
	if (fuse_daemonize(cmd->foreground))
		goto out_signals;
	atomic_store(&sink->starting, false);
	log_msg(&o->log, LOG_INFO, "mounted %s ('%s') on %s", o->root_id,
		o->root_name, cmd->mountpoint);
	/* Type=notify (ocivaultfs@.service): the mount is in the table now;
	 * sent by the process that stays (after fuse_daemonize). */
	sd_notifyf(0, "READY=1\nSTATUS=mounted on %s", cmd->mountpoint);

	if (run_session(se, cmd, argc, argv, loop, &res))
		goto out_signals;
	ret = exit_status(res);
	sd_notify(0, "STOPPING=1");
	log_msg(&o->log, LOG_INFO, "unmounting %s", cmd->mountpoint);
	oci_client_cancel(o->client);

out_signals:
	fuse_remove_signal_handlers(se);
out_unmount:
	/* Nothing may write to the session's descriptor once it is closed. */
	ovfs_notify_stop(o);
	fuse_session_unmount(se);
out_destroy:
	fuse_session_destroy(se); /* runs ovfs_destroy: stops the tracker */
	return ret;
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts cmd = {0};
	struct fuse_loop_config *loop = NULL;
	struct log_sink sink = {false, -1, true};
	struct profile prof = PROFILE_INIT;
	struct journal *journal = NULL;
	struct ovfs o;
	int ret = 1, res;

	/* Up to 64 FUSE workers and 4 trackers allocate at once in a mass
	 * backup; glibc would give most of them an arena of their own (8 per
	 * core) and keep every one's free memory.  Two arenas: 6 MiB less
	 * at the peak of 540 backups, no measurable slowdown. */
	mallopt(M_ARENA_MAX, 2);
	memset(&o, 0, sizeof(o));
	o.log.fn = log_sink_fn;
	o.log.arg = &sink;
	o.log.max_level = LOG_INFO;
	fuse_logger = &o.log;
	fuse_set_log_func(fuse_log_fn);
	if (pthread_mutex_init(&o.ns_lock, NULL))
		return 1;
	if (pthread_mutex_init(&o.fh_lock, NULL)) {
		pthread_mutex_destroy(&o.ns_lock);
		return 1;
	}

	res = parse_command_line(&args, &cmd, &o, argv[0]);
	if (res) {
		ret = res > 0 ? 0 : 1;
		goto out_args;
	}
	if (cmd.debug)
		o.log.max_level = LOG_DEBUG;
	if (o.opts.log_file) {
		/* opened before fuse_daemonize() changes to "/" */
		sink.fd = open(o.opts.log_file,
			       O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (sink.fd < 0) {
			fprintf(stderr,
				"ocivaultfs: cannot open log file '%s': %s\n",
				o.opts.log_file, strerror(errno));
			goto out_args;
		}
	}
	o.uid = getuid();
	o.gid = getgid();
	o.template = o.opts.backup_name ? o.opts.backup_name
					: TARGET_DEFAULT_TEMPLATE;

	/* first: OpenSSL's allocator can only be set before its first use */
	if (crypto_global_init())
		fprintf(stderr, "ocivaultfs: warning: OpenSSL was used before "
				"start-up: its freed memory is not wiped\n");
	if (http_global_init()) {
		fprintf(stderr, "ocivaultfs: cannot initialize libcurl\n");
		goto out_args;
	}
	if (endpoint_host(&o) || make_client(&o, &prof) || preflight(&o, &prof))
		goto out_client;
	if (o.opts.check) { /* report, do not mount */
		ret = cred_check(o.client, &o.opts, &prof, o.root_id,
				 o.root_name, stdout);
		goto out_client;
	}
	o.mount_time = clock_wall_s(oci_client_clock(o.client));
	if (open_journal(&o, &prof, &journal) || make_fs(&o, journal))
		goto out_client;

	ret = serve(&o, &prof, &args, &cmd, &sink, argc, argv, &loop);
out_client:
	fuse_loop_cfg_destroy(loop);
	drop_free(o.drop);
	restores_free(o.restores);
	backups_free(o.backups);
	journal_free(journal);
	tree_free(o.tree);
	oci_client_free(o.client);
	profile_release(&prof);
	http_global_cleanup();
out_args:
	free(cmd.mountpoint);
	opts_release(&o.opts);
	fuse_opt_free_args(&args);
	pthread_mutex_destroy(&o.fh_lock);
	pthread_mutex_destroy(&o.ns_lock);
	if (sink.use_syslog)
		closelog();
	if (sink.fd >= 0)
		close(sink.fd);
	return ret;
}
