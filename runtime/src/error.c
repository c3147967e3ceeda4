// SPDX-License-Identifier: MIT
/*
 * error.c - error names and the per-thread detail message behind
 * npurt_strerror() and npurt_last_error().
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

#define NPURT_ERRMSG_LEN	512

static _Thread_local char npurt_errmsg[NPURT_ERRMSG_LEN];

/* Codes whose meaning in this library is narrower than strerror()'s. */
static const struct {
	int err;
	const char *text;
} npurt_err_names[] = {
	{ EINVAL, "Invalid argument" },
	{ ENODEV, "No such device" },
	{ EBUSY, "Device busy" },
	{ EXDEV, "Device architecture mismatch" },
	{ ENOSPC, "Fewer free devices than asked" },
	{ EBADMSG, "Malformed program" },
	{ EOPNOTSUPP, "Operation not supported by the device" },
	{ EPIPE, "Queue closed for submission (end of stream)" },
	{ ECANCELED, "Cancelled (run cancelled, or queue closed for receiving)" },
	{ EPROTO, "Driver ABI mismatch" },
	{ ESHUTDOWN, "Object being destroyed" },
};

NPURT_API const char *npurt_strerror(int err)
{
	size_t i;

	if (err < 0)
		err = -err;
	if (err == 0)
		return "Success";
	for (i = 0; i < NPURT_ARRAY_SIZE(npurt_err_names); i++)
		if (npurt_err_names[i].err == err)
			return npurt_err_names[i].text;
	/* strerror() is not thread-safe; strerrordesc_np() is static data. */
	return strerrordesc_np(err) ? strerrordesc_np(err) : "Unknown error";
}

NPURT_API const char *npurt_last_error(void)
{
	return npurt_errmsg;
}

int npurt_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(npurt_errmsg, sizeof(npurt_errmsg), fmt, ap);
	va_end(ap);
	return err;
}

/* npurt_errmsg = "@a: @b", truncated. */
static void errmsg_join(const char *a, const char *b)
{
	size_t cap = sizeof(npurt_errmsg) - 1, n = 0, k;

	k = strnlen(a, cap);
	memcpy(npurt_errmsg, a, k);
	n = k;
	k = n + 2 <= cap ? 2 : cap - n;
	memcpy(npurt_errmsg + n, ": ", k);
	n += k;
	k = strnlen(b, cap - n);
	memcpy(npurt_errmsg + n, b, k);
	npurt_errmsg[n + k] = '\0';
}

int npurt_err_prefix(int err, const char *fmt, ...)
{
	char prefix[NPURT_ERRMSG_LEN], old[NPURT_ERRMSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, npurt_errmsg, sizeof(old));
	errmsg_join(prefix, old);
	return err;
}
