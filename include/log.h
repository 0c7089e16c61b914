/* SPDX-License-Identifier: MIT */
/*
 * log: one logging function for every module.
 *
 * Modules never print; they call log_msg() with a `struct logger` that the
 * program wires up once (main.c: stderr in the foreground, syslog when
 * daemonized; libfuse's own messages are routed into the same logger with
 * fuse_set_log_func()).  There is no global logger: the logger travels in
 * the context like all other state (main.c keeps one read-only pointer for
 * libfuse's callback, which takes no argument).
 *
 * Levels are syslog's (LOG_ERR ... LOG_DEBUG).  Messages follow git's
 * style: lower case, no trailing period or newline, what failed first,
 * subjects in single quotes.  Never log a secret: private keys, pass
 * phrases, Authorization headers, signatures, session tokens, PAR URLs
 * (redact them with the helpers of the module that owns them).
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <syslog.h>

struct logger {
	/* Receives one complete message without trailing newline. */
	void (*fn)(void *arg, int level, const char *msg);
	void *arg;
	/* Messages with a level above this (less severe) are dropped. */
	int max_level;
};

/*
 * Log through `lg`.  A NULL logger (unit tests, early start-up) writes
 * warnings and errors to stderr and drops the rest.  Messages longer than
 * 2 KiB are cut.
 */
void log_msg(const struct logger *lg, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vmsg(const struct logger *lg, int level, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* True when a message at `level` would be emitted (skip costly formatting). */
int log_enabled(const struct logger *lg, int level);

/* A sink that writes "ocivaultfs: <level>: <msg>\n" to stderr. */
void log_stderr(void *arg, int level, const char *msg);

/*
 * A sink that appends one line per message to the file descriptor
 * `*(const int *)arg` (opened with O_APPEND: -o log_file=PATH):
 * "2026-12-06T20:37:49.123Z ocivaultfs[PID] info: <msg>\n", UTC, in one
 * write(), so that lines of threads never interleave.  Control characters
 * of the message become spaces.  A failed write is ignored: there is no
 * one left to tell.
 */
void log_fd_sink(void *arg, int level, const char *msg);

/* "error", "warning", "info", "debug", ... */
const char *log_level_name(int level);

#endif /* LOG_H */
