/* SPDX-License-Identifier: MIT */
/* log: the single logging entry point, see include/log.h. */
#include <stdio.h>

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
