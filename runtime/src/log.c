// SPDX-License-Identifier: MIT
/*
 * log.c - library messages on stderr, filtered by NPU_LOG_LEVEL (INFO,
 * WARN, ERROR, OFF; default WARN) or npurt_log_set_level().
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

#include "common.h"

static atomic_int npurt_log_level = NPURT_LOG_WARN;
static pthread_once_t npurt_log_once = PTHREAD_ONCE_INIT;

static const char *const npurt_level_names[] = {
	[NPURT_LOG_INFO] = "INFO",
	[NPURT_LOG_WARN] = "WARN",
	[NPURT_LOG_ERROR] = "ERROR",
	[NPURT_LOG_OFF] = "OFF",
};

static void npurt_log_init(void)
{
	const char *env = getenv("NPU_LOG_LEVEL");
	size_t i;

	if (!env || !*env)
		return;
	for (i = 0; i < NPURT_ARRAY_SIZE(npurt_level_names); i++) {
		if (!strcasecmp(env, npurt_level_names[i])) {
			atomic_store(&npurt_log_level, (int)i);
			return;
		}
	}
	fprintf(stderr, "npurt: WARN: NPU_LOG_LEVEL=%s unknown (INFO, WARN, "
		"ERROR, OFF); using WARN\n", env);
}

NPURT_API int npurt_log_set_level(enum npurt_log_level level)
{
	if ((unsigned int)level > NPURT_LOG_OFF)
		return npurt_err(-EINVAL, "log level %d unknown", (int)level);
	pthread_once(&npurt_log_once, npurt_log_init);
	atomic_store(&npurt_log_level, (int)level);
	return 0;
}

NPURT_API enum npurt_log_level npurt_log_get_level(void)
{
	pthread_once(&npurt_log_once, npurt_log_init);
	return (enum npurt_log_level)atomic_load(&npurt_log_level);
}

void npurt_log(enum npurt_log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level >= NPURT_LOG_OFF || (int)level < (int)npurt_log_get_level())
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per message, so lines of concurrent threads stay whole. */
	fprintf(stderr, "npurt: %s: %s\n", npurt_level_names[level], line);
}

uint64_t npurt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
