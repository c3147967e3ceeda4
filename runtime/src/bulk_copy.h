/* SPDX-License-Identifier: MIT */
/* bulk_copy.h - large host copies spread over threads (bulk_copy.c). */
#ifndef NPURT_BULK_COPY_H
#define NPURT_BULK_COPY_H

#include <stddef.h>

/* memcpy(@dst, @src, @size), by up to 8 threads from 8 MiB on. */
void npurt_bulk_copy(void *dst, const void *src, size_t size);
/* The threads a copy of @size takes (1: this one alone). */
unsigned int npurt_bulk_copy_threads(size_t size);

#endif
