// SPDX-License-Identifier: MIT
/*
 * bulk_copy.c - large host copies spread over threads.
 *
 * A queue copies every submitted input before npurt_queue_submit()
 * returns (the caller may reuse its tensors at once). A batch's input can
 * be tens of megabytes (64 images of mobilenet_v2: 38.5 MB of floats),
 * more than one core copies at memory speed: on the lent 16-core GPU
 * machine that copy, on the submitting thread, limited a queue feeding
 * the GPU. Copies that large are cut in page-aligned pieces, one per
 * thread, this thread taking the first.
 */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "bulk_copy.h"
#include "device.h"

/* Smaller copies stay on the calling thread; a piece is at least this. */
#define BULK_COPY_MIN		(4u << 20)
#define BULK_COPY_THREADS	8
#define BULK_COPY_ALIGN		4096u

struct bulk_piece {
	pthread_t thread;
	unsigned char *dst;
	const unsigned char *src;
	size_t size;
};

static void *bulk_piece_run(void *arg)
{
	struct bulk_piece *p = arg;

	memcpy(p->dst, p->src, p->size);
	return NULL;
}

unsigned int npurt_bulk_copy_threads(size_t size)
{
	size_t t = size / BULK_COPY_MIN;
	unsigned int cpus = npurt_online_cpus();

	if (t > BULK_COPY_THREADS)
		t = BULK_COPY_THREADS;
	if (t > cpus)
		t = cpus;
	return t < 1 ? 1 : (unsigned int)t;
}

void npurt_bulk_copy(void *dst, const void *src, size_t size)
{
	struct bulk_piece p[BULK_COPY_THREADS];
	bool started[BULK_COPY_THREADS] = { false };
	unsigned int t = npurt_bulk_copy_threads(size), k;
	size_t piece, off = 0;

	if (t == 1) {
		memcpy(dst, src, size);
		return;
	}
	/* pieces of a whole number of pages, the last one the rest */
	piece = ((size + t - 1) / t + BULK_COPY_ALIGN - 1) &
		~(size_t)(BULK_COPY_ALIGN - 1);
	for (k = 0; k < t; k++) {
		size_t n = off < size ? (size - off < piece ? size - off :
					 piece) : 0;

		p[k] = (struct bulk_piece){ .dst = (unsigned char *)dst + off,
					    .src = (const unsigned char *)src +
						   off,
					    .size = n };
		off += n;
		/* a thread that cannot start leaves its piece here */
		started[k] = k && n && !pthread_create(&p[k].thread, NULL,
						       bulk_piece_run, &p[k]);
	}
	for (k = 0; k < t; k++)
		if (!started[k] && p[k].size)
			bulk_piece_run(&p[k]);
	for (k = 1; k < t; k++)
		if (started[k])
			pthread_join(p[k].thread, NULL);
}
