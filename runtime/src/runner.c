// SPDX-License-Identifier: MIT
/*
 * runner.c - synchronous inference: npurt_runner_run() queues the batch
 * items of one call on the executor and sleeps until the last completes.
 * Any number of threads may call it at once.
 */
#include <stdlib.h>
#include <string.h>

#include "exec.h"

struct npurt_runner {
	struct npurt_exec *ex;
	atomic_bool closing;
};

/* The caller's side of one call. */
struct runner_call {
	struct npurt_run run;
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
	*out = r;
	return 0;
}

NPURT_API int npurt_runner_run(npurt_runner *runner,
			       npurt_tensor *const *inputs,
			       npurt_tensor *const *outputs)
{
	struct runner_call *c;
	int ret;

	if (!runner)
		return npurt_err(-EINVAL, "npurt_runner_run: runner is NULL");
	if (atomic_load(&runner->closing))
		return npurt_err(-ESHUTDOWN, "runner being destroyed");
	ret = npurt_exec_check_io(runner->ex, false, inputs);
	if (!ret)
		ret = npurt_exec_check_io(runner->ex, true, outputs);
	if (ret)
		return ret;
	c = calloc(1, sizeof(*c));
	if (c)
		c->run.works = calloc(npurt_exec_batch(runner->ex),
				      sizeof(*c->run.works));
	if (!c || !c->run.works) {
		free(c);
		return npurt_err(-ENOMEM, "out of memory");
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->done, NULL);
	c->run.inputs = inputs;
	c->run.outputs = outputs;
	c->run.complete = runner_complete;
	npurt_exec_submit(runner->ex, &c->run);
	pthread_mutex_lock(&c->lock);
	while (!c->finished)
		pthread_cond_wait(&c->done, &c->lock);
	pthread_mutex_unlock(&c->lock);
	ret = atomic_load(&c->run.err);
	if (ret)
		npurt_err(ret, "%s", c->run.errmsg);
	pthread_cond_destroy(&c->done);
	pthread_mutex_destroy(&c->lock);
	free(c->run.works);
	free(c);
	return ret;
}

NPURT_API void npurt_runner_destroy(npurt_runner *runner)
{
	if (!runner)
		return;
	atomic_store(&runner->closing, true);
	npurt_exec_destroy(runner->ex);
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
