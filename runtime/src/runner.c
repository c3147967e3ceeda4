// SPDX-License-Identifier: MIT
/*
 * runner.c - synchronous inference: npurt_runner_run() runs a one-item
 * call on its own thread when a worker is idle (borrowing the worker: no
 * hand-off, no wake-up), else queues the batch items of the call on the
 * executor and sleeps until the last completes, the run's timeout passes
 * or its cancellation token fires. Any number of threads may call it at
 * once.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cancel.h"
#include "exec.h"

/* Call objects kept for reuse: enough for this many concurrent callers. */
#define RUNNER_CALLS_KEPT	8

struct npurt_runner {
	struct npurt_exec *ex;
	atomic_bool closing;
	pthread_mutex_t lock;
	struct runner_call *kept[RUNNER_CALLS_KEPT];
	unsigned int num_kept;
};

/* The caller's side of one call. */
struct runner_call {
	struct npurt_run run;
	struct npurt_cancel_waiter waiter;
	pthread_mutex_t lock;
	pthread_cond_t done;
	bool finished;
};

static void runner_complete(struct npurt_run *run)
{
	struct runner_call *c = (struct runner_call *)run;

	pthread_mutex_lock(&c->lock);
	c->finished = true;
	pthread_cond_signal(&c->done);
	pthread_mutex_unlock(&c->lock);
}

static void runner_cancel_wake(struct npurt_cancel_waiter *w)
{
	struct runner_call *c = (struct runner_call *)((char *)w -
				offsetof(struct runner_call, waiter));

	pthread_mutex_lock(&c->lock);
	pthread_cond_signal(&c->done);
	pthread_mutex_unlock(&c->lock);
}

static int runner_opts_check(const struct npurt_runner_opts *o)
{
	size_t i;

	for (i = 0; o && i < NPURT_ARRAY_SIZE(o->reserved); i++)
		if (o->reserved[i])
			return npurt_err(-EINVAL, "runner options: reserved "
					 "fields must be 0");
	return 0;
}

NPURT_API int npurt_runner_create(npurt_runtime *rt, npurt_model *model,
				  const struct npurt_runner_opts *opts,
				  npurt_runner **out)
{
	npurt_runner *r;
	int ret;

	if (!out)
		return npurt_err(-EINVAL, "npurt_runner_create: out is NULL");
	*out = NULL;
	ret = runner_opts_check(opts);
	if (ret)
		return ret;
	r = calloc(1, sizeof(*r));
	if (!r)
		return npurt_err(-ENOMEM, "out of memory");
	ret = npurt_exec_create(rt, model, opts ? opts->worker_num : 0,
				opts ? opts->batch_size : 0, &r->ex);
	if (ret) {
		free(r);
		return ret;
	}
	pthread_mutex_init(&r->lock, NULL);
	*out = r;
	return 0;
}

/*
 * The caller's options as this library knows them: a shorter (older)
 * struct reads as zero past its size, a longer (newer) one must be zero
 * past ours.
 */
static int run_opts_get(const struct npurt_run_opts *u,
			struct npurt_run_opts *o)
{
	const unsigned char *tail = (const unsigned char *)u;
	size_t i;

	memset(o, 0, sizeof(*o));
	if (!u)
		return 0;
	if (u->size < NPURT_RUN_OPTS_SIZE_1_2)
		return npurt_err(-EINVAL, "run options: size %u, at least %zu",
				 u->size, (size_t)NPURT_RUN_OPTS_SIZE_1_2);
	for (i = sizeof(*o); i < u->size; i++)
		if (tail[i])
			return npurt_err(-E2BIG, "run options: byte %zu of %u is "
					 "not 0 and unknown to libnpurt %s", i,
					 u->size, npurt_version_string());
	memcpy(o, u, u->size < sizeof(*o) ? u->size : sizeof(*o));
	if (o->flags)
		return npurt_err(-EINVAL, "run options: unknown flags 0x%x",
				 o->flags);
	if (o->reserved0)
		return npurt_err(-EINVAL, "run options: reserved0 must be 0");
	return 0;
}

/* @given in the order of @names, as model order in @ordered. */
static int run_order(const struct npurt_exec *ex, bool out,
		     const char *const *names, npurt_tensor *const *given,
		     npurt_tensor **ordered)
{
	unsigned int i, j, n = npurt_exec_io_count(ex, out);
	const char *what = out ? "output" : "input";

	if (n && !given)
		return npurt_err(-EINVAL, "%ss: array is NULL", what);
	for (i = 0; i < n; i++)
		ordered[i] = NULL;
	for (i = 0; i < n; i++) {
		if (!names[i])
			return npurt_err(-EINVAL, "%s name %u is NULL", what, i);
		for (j = 0; j < n; j++)
			if (!strcmp(npurt_exec_io_desc(ex, out, j)->name,
				    names[i]))
				break;
		if (j == n)
			return npurt_err(-EINVAL, "the model has no %s named "
					 "\"%s\"", what, names[i]);
		if (ordered[j])
			return npurt_err(-EINVAL, "%s \"%s\" named twice", what,
					 names[i]);
		if (!given[i])
			return npurt_err(-EINVAL, "%s %u (\"%s\") is NULL", what,
					 j, names[i]);
		ordered[j] = given[i];
	}
	return 0;
}

/* Sleep until the run completes, the deadline passes or @o->cancel fires.
 * Return: 0 (completed), -ETIMEDOUT or -ECANCELED (still running). */
static int runner_wait(struct runner_call *c, const struct npurt_run_opts *o)
{
	struct timespec deadline;
	int why = 0;

	if (o->timeout_ms) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += o->timeout_ms / 1000;
		deadline.tv_nsec += (long)(o->timeout_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&c->lock);
	while (!c->finished) {
		if (npurt_cancel_requested(o->cancel)) {
			why = -ECANCELED;
			break;
		}
		if (!o->timeout_ms) {
			pthread_cond_wait(&c->done, &c->lock);
		} else if (pthread_cond_timedwait(&c->done, &c->lock,
						  &deadline) == ETIMEDOUT &&
			   !c->finished) {
			why = -ETIMEDOUT;
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return why;
}

static struct runner_call *runner_call_new(npurt_runner *runner)
{
	struct runner_call *c = NULL;
	pthread_condattr_t attr;

	pthread_mutex_lock(&runner->lock);
	if (runner->num_kept)
		c = runner->kept[--runner->num_kept];
	pthread_mutex_unlock(&runner->lock);
	if (c) {
		c->finished = false;
		return c;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->run.works = calloc(npurt_exec_batch(runner->ex),
				      sizeof(*c->run.works));
	if (!c || !c->run.works) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->done, &attr);
	pthread_condattr_destroy(&attr);
	c->run.complete = runner_complete;
	c->waiter.wake = runner_cancel_wake;
	return c;
}

static void runner_call_free(struct runner_call *c)
{
	pthread_cond_destroy(&c->done);
	pthread_mutex_destroy(&c->lock);
	free(c->run.works);
	free(c);
}

/* @c back to @runner for the next call (completed: no thread uses it). */
static void runner_call_put(npurt_runner *runner, struct runner_call *c)
{
	pthread_mutex_lock(&runner->lock);
	if (runner->num_kept < RUNNER_CALLS_KEPT) {
		runner->kept[runner->num_kept++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&runner->lock);
	if (c)
		runner_call_free(c);
}

/*
 * The one item on this thread: the call cannot be interrupted while it
 * runs, so a cancellation requested or a deadline passed by the time it
 * completes fails the call as a waiting caller would have (the outputs
 * are written either way, as when a started item is waited for).
 */
static int runner_here(const struct npurt_run_opts *o, uint64_t t0)
{
	if (npurt_cancel_requested(o->cancel))
		return -ECANCELED;
	if (o->timeout_ms &&
	    npurt_now_ns() - t0 >= (uint64_t)o->timeout_ms * 1000000)
		return -ETIMEDOUT;
	return 0;
}

static int runner_execute(npurt_runner *runner, npurt_tensor *const *inputs,
			  npurt_tensor *const *outputs,
			  const struct npurt_run_opts *o)
{
	struct runner_call *c = runner_call_new(runner);
	uint64_t t0 = o->timeout_ms ? npurt_now_ns() : 0;
	int ret, why;

	if (!c)
		return npurt_err(-ENOMEM, "out of memory");
	c->run.inputs = inputs;
	c->run.outputs = outputs;
	if (npurt_exec_run_here(runner->ex, &c->run)) {
		why = runner_here(o, t0);
		goto done;
	}
	npurt_cancel_watch(o->cancel, &c->waiter);
	npurt_exec_submit(runner->ex, &c->run);
	why = runner_wait(c, o);
	if (why) {
		/* Drop what has not started; wait for what has (it uses the
		 * caller's tensors). */
		npurt_exec_cancel_run(runner->ex, &c->run, why);
		pthread_mutex_lock(&c->lock);
		while (!c->finished)
			pthread_cond_wait(&c->done, &c->lock);
		pthread_mutex_unlock(&c->lock);
	}
	npurt_cancel_unwatch(o->cancel, &c->waiter);
done:
	ret = atomic_load(&c->run.err);
	if (why == -ETIMEDOUT)
		ret = npurt_err(why, "run not completed within its timeout "
				"of %u ms", o->timeout_ms);
	else if (why)
		ret = npurt_err(why, "run cancelled through its npurt_cancel "
				"token");
	else if (ret)
		npurt_err(ret, "%s", c->run.errmsg);
	runner_call_put(runner, c);
	return ret;
}

NPURT_API int npurt_runner_run_opts(npurt_runner *runner,
				    npurt_tensor *const *inputs,
				    npurt_tensor *const *outputs,
				    const struct npurt_run_opts *opts)
{
	npurt_tensor **in = NULL, **out = NULL;
	struct npurt_run_opts o;
	int ret;

	if (!runner)
		return npurt_err(-EINVAL, "npurt_runner_run: runner is NULL");
	if (atomic_load(&runner->closing))
		return npurt_err(-ESHUTDOWN, "runner being destroyed");
	ret = run_opts_get(opts, &o);
	if (ret)
		return ret;
	if (npurt_cancel_requested(o.cancel))
		return npurt_err(-ECANCELED, "run cancelled through its "
				 "npurt_cancel token");
	if (o.input_names || o.output_names) {
		in = calloc(npurt_exec_io_count(runner->ex, false) + 1,
			    sizeof(*in));
		out = calloc(npurt_exec_io_count(runner->ex, true) + 1,
			     sizeof(*out));
		if (!in || !out) {
			ret = npurt_err(-ENOMEM, "out of memory");
			goto out_free;
		}
	}
	if (o.input_names) {
		ret = run_order(runner->ex, false, o.input_names, inputs, in);
		inputs = in;
	}
	if (!ret && o.output_names) {
		ret = run_order(runner->ex, true, o.output_names, outputs, out);
		outputs = out;
	}
	if (!ret)
		ret = npurt_exec_check_io(runner->ex, false, inputs);
	if (!ret)
		ret = npurt_exec_check_io(runner->ex, true, outputs);
	if (!ret)
		ret = runner_execute(runner, inputs, outputs, &o);
out_free:
	free(in);
	free(out);
	return ret;
}

NPURT_API int npurt_runner_run(npurt_runner *runner,
			       npurt_tensor *const *inputs,
			       npurt_tensor *const *outputs)
{
	return npurt_runner_run_opts(runner, inputs, outputs, NULL);
}

NPURT_API void npurt_runner_destroy(npurt_runner *runner)
{
	if (!runner)
		return;
	atomic_store(&runner->closing, true);
	npurt_exec_destroy(runner->ex);
	while (runner->num_kept)
		runner_call_free(runner->kept[--runner->num_kept]);
	pthread_mutex_destroy(&runner->lock);
	free(runner);
}

NPURT_API unsigned int npurt_runner_input_count(const npurt_runner *runner)
{
	return runner ? npurt_exec_io_count(runner->ex, false) : 0;
}

NPURT_API unsigned int npurt_runner_output_count(const npurt_runner *runner)
{
	return runner ? npurt_exec_io_count(runner->ex, true) : 0;
}

NPURT_API const npurt_tensor_desc *
npurt_runner_input(const npurt_runner *runner, unsigned int index)
{
	return runner ? npurt_exec_io_desc(runner->ex, false, index) : NULL;
}

NPURT_API const npurt_tensor_desc *
npurt_runner_output(const npurt_runner *runner, unsigned int index)
{
	return runner ? npurt_exec_io_desc(runner->ex, true, index) : NULL;
}
