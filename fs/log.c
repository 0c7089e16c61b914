/* SPDX-License-Identifier: MIT */
/* log: the single logging entry point, see include/log.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "banned.h"

#define LOG_LINE_MAX 2048

const char *log_level_name(int level)
{
	switch (level) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

void log_stderr(void *arg, int level, const char *msg)
{
	(void)arg;
	fprintf(stderr, "ocivaultfs: %s: %s\n", log_level_name(level), msg);
}

void log_fd_sink(void *arg, int level, const char *msg)
{
	const int *fd = arg;
	char line[LOG_LINE_MAX + 128];
	struct timespec ts = {0};
	struct tm tm;
	size_t n;
	int k;

	if (clock_gettime(CLOCK_REALTIME, &ts) || !gmtime_r(&ts.tv_sec, &tm))
		memset(&tm, 0, sizeof(tm));
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	k = snprintf(line + n, sizeof(line) - n,
		     ".%03ldZ ocivaultfs[%ld] %s: ", ts.tv_nsec / 1000000,
		     (long)getpid(), log_level_name(level));
	if (k < 0)
		return;
	n += (size_t)k;
	for (; *msg && n < sizeof(line) - 1; msg++)
		line[n++] =
			(unsigned char)*msg < ' ' || *msg == 0x7f ? ' ' : *msg;
	line[n++] = '\n';
	if (write(*fd, line, n) < 0)
		return; /* nowhere left to say it */
}

int log_enabled(const struct logger *lg, int level)
{
	if (!lg)
		return level <= LOG_WARNING;
	return lg->fn && level <= lg->max_level;
}

void log_vmsg(const struct logger *lg, int level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];

	if (!log_enabled(lg, level))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (lg)
		lg->fn(lg->arg, level, line);
	else
		log_stderr(NULL, level, line);
}

void log_msg(const struct logger *lg, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lg, level, fmt, ap);
	va_end(ap);
}
