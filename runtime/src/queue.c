// SPDX-License-Identifier: MIT
/*
 * queue.c - asynchronous inference. Submitted runs wait in a bounded input
 * queue (submit blocks when it is full), finished ones in a bounded output
 * queue (workers wait when it is full), received in completion order.
 * Closing the submit side drains; closing the receive side cancels. An
 * eventfd is readable exactly while recv would not block. Inputs are
 * copied into the run's record at submit, or borrowed from the caller
 * (NPURT_QUEUE_BORROW_INPUTS: the record holds the caller's tensors).
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "bulk_copy.h"
#include "exec.h"

#define QUEUE_DEFAULT_SIZE	8
#define QUEUE_MAX_SIZE		65536

/* One run travelling through the queue, with its tensors. */
struct queue_rec {
	struct npurt_run run;		/* first: completion finds the rec */
	struct queue_rec *next;
	struct npurt_queue *q;
	void *context;
	npurt_tensor **in;
	npurt_tensor **out;
};

struct npurt_queue {
	struct npurt_exec *ex;
	pthread_mutex_t lock;
	pthread_cond_t can_submit;
	pthread_cond_t can_recv;
	pthread_cond_t can_finish;
	unsigned int inq, outq;
	unsigned int pending;		/* submitted, not started */
	unsigned int inflight;		/* submitted, not yet received */
	unsigned int num_done;
	struct queue_rec *free_list;
	struct queue_rec *done_head, *done_tail;
	struct queue_rec *recs;
	unsigned int num_recs;
	bool submit_closed, recv_closed;
	bool borrow;			/* NPURT_QUEUE_BORROW_INPUTS */
	int efd;
	bool efd_set;
};

/* Called with the lock held: the fd mirrors "recv would not block". */
static void queue_efd_update(struct npurt_queue *q)
{
	bool want = q->done_head || q->recv_closed ||
		    (q->submit_closed && !q->inflight);
	uint64_t v = 1;

	if (want && !q->efd_set) {
		if (write(q->efd, &v, sizeof(v)) == sizeof(v))
			q->efd_set = true;
	} else if (!want && q->efd_set) {
		if (read(q->efd, &v, sizeof(v)) == sizeof(v))
			q->efd_set = false;
	}
}

static void rec_free_locked(struct npurt_queue *q, struct queue_rec *r)
{
	r->next = q->free_list;
	q->free_list = r;
	pthread_cond_broadcast(&q->can_submit);
}

static void queue_on_start(struct npurt_run *run)
{
	struct queue_rec *r = (struct queue_rec *)run;
	struct npurt_queue *q = r->q;

	pthread_mutex_lock(&q->lock);
	q->pending--;
	pthread_cond_broadcast(&q->can_submit);
	pthread_mutex_unlock(&q->lock);
}

/* On a worker thread: park the result, waiting for output room. */
static void queue_complete(struct npurt_run *run)
{
	struct queue_rec *r = (struct queue_rec *)run;
	struct npurt_queue *q = r->q;

	pthread_mutex_lock(&q->lock);
	if (!atomic_load(&run->started)) {	/* cancelled while waiting */
		q->pending--;
		pthread_cond_broadcast(&q->can_submit);
	}
	while (!q->recv_closed && q->num_done >= q->outq)
		pthread_cond_wait(&q->can_finish, &q->lock);
	if (q->recv_closed) {
		q->inflight--;
		rec_free_locked(q, r);
	} else {
		r->next = NULL;
		if (q->done_tail)
			q->done_tail->next = r;
		else
			q->done_head = r;
		q->done_tail = r;
		q->num_done++;
		pthread_cond_signal(&q->can_recv);
	}
	queue_efd_update(q);
	pthread_mutex_unlock(&q->lock);
}

static int queue_opts_check(const struct npurt_queue_opts *o)
{
	size_t i;

	if (!o)
		return 0;
	if (o->flags & ~NPURT_QUEUE_BORROW_INPUTS)
		return npurt_err(-EINVAL, "queue options: unknown flags 0x%x",
				 o->flags & ~NPURT_QUEUE_BORROW_INPUTS);
	for (i = 0; i < NPURT_ARRAY_SIZE(o->reserved); i++)
		if (o->reserved[i])
			return npurt_err(-EINVAL, "queue options: reserved "
					 "fields must be 0");
	if (o->input_queue_size > QUEUE_MAX_SIZE ||
	    o->output_queue_size > QUEUE_MAX_SIZE)
		return npurt_err(-EINVAL, "queue sizes above %d",
				 QUEUE_MAX_SIZE);
	return 0;
}

/*
 * A record's inputs and outputs (the caller's copied in and out; no
 * inputs when it borrows the caller's): on a
 * runtime of one GPU, tensors of that device, page-locked, so that its
 * copies are DMA and it quantizes a float input itself (gpu_run_step());
 * else, or when the GPU's memory or page-locked memory runs out, host
 * memory. (A GPU tensor has device memory too, unused here: the worker
 * uploads to its own.)
 */
static int rec_tensors(npurt_runtime *rt, struct npurt_queue *q,
		       struct queue_rec *r)
{
	npurt_device *gpu = npurt_runtime_device_count(rt) == 1 &&
			    npurt_dev_is_gpu(npurt_runtime_device(rt, 0)) ?
			    npurt_runtime_device(rt, 0) : NULL;
	unsigned int k, i;
	int ret;

	for (k = 0; k < 2; k++) {
		unsigned int n = npurt_exec_io_count(q->ex, k);
		npurt_tensor **v = calloc(n + 1, sizeof(*v));

		if (!v)
			return npurt_err(-ENOMEM, "out of memory");
		if (k)
			r->out = v;
		else
			r->in = v;
		/* borrowed inputs: the caller's, set by each submit */
		for (i = 0; i < n && (k || !q->borrow); i++) {
			const npurt_tensor_desc *d = npurt_exec_io_desc(q->ex,
									k, i);

			/* page-locked memory is scarcer: else as before */
			if (gpu && !npurt_device_tensor_alloc(gpu, d, &v[i]))
				continue;
			ret = npurt_tensor_alloc(rt, d, &v[i]);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int queue_recs(npurt_runtime *rt, struct npurt_queue *q)
{
	unsigned int i, batch = npurt_exec_batch(q->ex);
	int ret = 0;

	q->num_recs = q->inq + q->outq + npurt_exec_workers(q->ex);
	q->recs = calloc(q->num_recs, sizeof(*q->recs));
	if (!q->recs)
		return npurt_err(-ENOMEM, "out of memory");
	for (i = 0; i < q->num_recs && !ret; i++) {
		struct queue_rec *r = &q->recs[i];

		r->q = q;
		r->run.complete = queue_complete;
		r->run.works = calloc(batch, sizeof(*r->run.works));
		ret = r->run.works ? rec_tensors(rt, q, r) :
		      npurt_err(-ENOMEM, "out of memory");
		r->run.inputs = r->in;
		r->run.outputs = r->out;
		r->next = q->free_list;
		q->free_list = r;
	}
	return ret;
}

static void queue_free(struct npurt_queue *q)
{
	unsigned int i, k, n;

	/* Workers first: a run still executing uses its record. */
	npurt_exec_stop(q->ex);
	for (i = 0; q->recs && i < q->num_recs; i++) {
		struct queue_rec *r = &q->recs[i];

		for (k = 0; k < 2; k++) {
			npurt_tensor **v = k ? r->out : r->in;

			n = q->ex && (k || !q->borrow) ?
			    npurt_exec_io_count(q->ex, k) : 0;
			while (v && n--)
				npurt_tensor_destroy(v[n]);
			free(v);
		}
		free(r->run.works);
	}
	free(q->recs);
	npurt_exec_destroy(q->ex);
	if (q->efd >= 0)
		close(q->efd);
	pthread_cond_destroy(&q->can_submit);
	pthread_cond_destroy(&q->can_recv);
	pthread_cond_destroy(&q->can_finish);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

NPURT_API int npurt_queue_create(npurt_runtime *rt, npurt_model *model,
				 const struct npurt_queue_opts *opts,
				 npurt_queue **out)
{
	pthread_condattr_t attr;
	npurt_queue *q;
	int ret;

	if (!out)
		return npurt_err(-EINVAL, "npurt_queue_create: out is NULL");
	*out = NULL;
	ret = queue_opts_check(opts);
	if (ret)
		return ret;
	q = calloc(1, sizeof(*q));
	if (!q)
		return npurt_err(-ENOMEM, "out of memory");
	pthread_mutex_init(&q->lock, NULL);
	/* recv deadlines are CLOCK_MONOTONIC: immune to clock changes. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&q->can_submit, NULL);
	pthread_cond_init(&q->can_recv, &attr);
	pthread_cond_init(&q->can_finish, NULL);
	pthread_condattr_destroy(&attr);
	q->inq = opts && opts->input_queue_size ? opts->input_queue_size :
		 QUEUE_DEFAULT_SIZE;
	q->outq = opts && opts->output_queue_size ? opts->output_queue_size :
		  QUEUE_DEFAULT_SIZE;
	q->borrow = opts && (opts->flags & NPURT_QUEUE_BORROW_INPUTS);
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0)
		ret = npurt_err(-errno, "eventfd: %s", npurt_strerror(errno));
	if (!ret)
		ret = npurt_exec_create(rt, model, opts ? opts->worker_num : 0,
					opts ? opts->batch_size : 0, &q->ex);
	if (!ret)
		ret = queue_recs(rt, q);
	if (ret) {
		queue_free(q);
		return ret;
	}
	npurt_exec_on_start(q->ex, queue_on_start);
	*out = q;
	return 0;
}

static void copy_tensors(npurt_tensor *const *dst, npurt_tensor *const *src,
			 unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		npurt_bulk_copy(dst[i]->data, src[i]->data, dst[i]->desc.size);
}

NPURT_API int npurt_queue_submit(npurt_queue *q, npurt_tensor *const *inputs,
				 void *context)
{
	struct queue_rec *r;
	int ret;

	if (!q)
		return npurt_err(-EINVAL, "npurt_queue_submit: queue is NULL");
	ret = npurt_exec_check_io(q->ex, false, inputs);
	if (ret)
		return ret;
	pthread_mutex_lock(&q->lock);
	while (!q->recv_closed && !q->submit_closed &&
	       (q->pending >= q->inq || !q->free_list))
		pthread_cond_wait(&q->can_submit, &q->lock);
	if (q->recv_closed || q->submit_closed) {
		ret = q->recv_closed ? -ECANCELED : -EPIPE;
		pthread_mutex_unlock(&q->lock);
		return npurt_err(ret, "queue closed for %s",
				 ret == -EPIPE ? "submission" : "receiving");
	}
	r = q->free_list;
	q->free_list = r->next;
	q->pending++;
	q->inflight++;
	queue_efd_update(q);
	pthread_mutex_unlock(&q->lock);
	/* Else the caller may reuse its tensors as soon as we return. */
	if (q->borrow)
		memcpy(r->in, inputs,
		       npurt_exec_io_count(q->ex, false) * sizeof(*r->in));
	else
		copy_tensors(r->in, inputs, npurt_exec_io_count(q->ex, false));
	r->context = context;
	npurt_exec_submit(q->ex, &r->run);
	return 0;
}

static void deadline_after(struct timespec *ts, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += timeout_ms / 1000;
	ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* With the lock held: wait for a result or a final state. */
static int queue_wait_result(struct npurt_queue *q, int timeout_ms,
			     struct queue_rec **out)
{
	struct timespec deadline;

	if (timeout_ms > 0)
		deadline_after(&deadline, timeout_ms);
	for (;;) {
		if (q->recv_closed)
			return npurt_err(-ECANCELED, "queue closed for receiving");
		if (q->done_head)
			break;
		if (q->submit_closed && !q->inflight)
			return npurt_err(-EPIPE, "queue: end of stream");
		if (!timeout_ms)
			return npurt_err(-ETIMEDOUT, "queue: no result ready");
		if (timeout_ms < 0)
			pthread_cond_wait(&q->can_recv, &q->lock);
		else if (pthread_cond_timedwait(&q->can_recv, &q->lock,
						&deadline) == ETIMEDOUT &&
			 !q->done_head)
			return npurt_err(-ETIMEDOUT, "queue: no result within "
					 "%d ms", timeout_ms);
	}
	*out = q->done_head;
	q->done_head = (*out)->next;
	if (!q->done_head)
		q->done_tail = NULL;
	q->num_done--;
	q->inflight--;
	pthread_cond_signal(&q->can_finish);
	if (q->submit_closed && !q->inflight)
		pthread_cond_broadcast(&q->can_recv);	/* end of stream */
	queue_efd_update(q);
	return 0;
}

NPURT_API int npurt_queue_recv(npurt_queue *q, void **context,
			       npurt_tensor *const *outputs, int timeout_ms)
{
	struct queue_rec *r = NULL;
	int ret;

	if (!q || !context)
		return npurt_err(-EINVAL, "npurt_queue_recv: NULL argument");
	ret = npurt_exec_check_io(q->ex, true, outputs);
	if (ret)
		return ret;
	pthread_mutex_lock(&q->lock);
	ret = queue_wait_result(q, timeout_ms, &r);
	pthread_mutex_unlock(&q->lock);
	if (ret)
		return ret;
	*context = r->context;
	ret = atomic_load(&r->run.err);
	if (ret)
		npurt_err(ret, "%s", r->run.errmsg);
	else
		copy_tensors(outputs, r->out, npurt_exec_io_count(q->ex, true));
	pthread_mutex_lock(&q->lock);
	rec_free_locked(q, r);
	pthread_mutex_unlock(&q->lock);
	return ret;
}

NPURT_API int npurt_queue_fd(const npurt_queue *q)
{
	return q ? q->efd : -EINVAL;
}

NPURT_API void npurt_queue_close_submit(npurt_queue *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->submit_closed = true;
	pthread_cond_broadcast(&q->can_submit);
	pthread_cond_broadcast(&q->can_recv);
	queue_efd_update(q);
	pthread_mutex_unlock(&q->lock);
}

NPURT_API void npurt_queue_close_recv(npurt_queue *q)
{
	struct queue_rec *r;

	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->recv_closed = true;
	while ((r = q->done_head)) {	/* finished, never to be received */
		q->done_head = r->next;
		q->num_done--;
		q->inflight--;
		rec_free_locked(q, r);
	}
	q->done_tail = NULL;
	pthread_cond_broadcast(&q->can_submit);
	pthread_cond_broadcast(&q->can_recv);
	pthread_cond_broadcast(&q->can_finish);
	queue_efd_update(q);
	pthread_mutex_unlock(&q->lock);
	npurt_exec_cancel(q->ex, -ECANCELED);
}

NPURT_API void npurt_queue_destroy(npurt_queue *q)
{
	if (!q)
		return;
	npurt_queue_close_submit(q);
	npurt_queue_close_recv(q);
	queue_free(q);		/* joins the workers */
}

NPURT_API unsigned int npurt_queue_input_count(const npurt_queue *q)
{
	return q ? npurt_exec_io_count(q->ex, false) : 0;
}

NPURT_API unsigned int npurt_queue_output_count(const npurt_queue *q)
{
	return q ? npurt_exec_io_count(q->ex, true) : 0;
}

NPURT_API const npurt_tensor_desc *npurt_queue_input(const npurt_queue *q,
						     unsigned int index)
{
	return q ? npurt_exec_io_desc(q->ex, false, index) : NULL;
}

NPURT_API const npurt_tensor_desc *npurt_queue_output(const npurt_queue *q,
						      unsigned int index)
{
	return q ? npurt_exec_io_desc(q->ex, true, index) : NULL;
}
