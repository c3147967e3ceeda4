// SPDX-License-Identifier: MIT
/*
 * queue_inflight.c - asynchronous inference: keep up to DEPTH runs in
 * flight in an npurt_queue, receive them in completion order (the
 * context says which run a result belongs to), and check every result
 * against a synchronous run of the same input.
 *
 *   queue_inflight [SPEC [RUNS [DEPTH]]]   defaults: $NPU_DEVICES or auto,
 *                                          64 runs, depth 8
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <npurt.h>

#include "example_mlp.h"

static const struct mlp_shape shape = { .m = 4, .k = 96, .hid = 80, .n = 24,
					.seed = 2024 };

static int fail(const char *what, int err)
{
	fprintf(stderr, "queue_inflight: %s: %s (%s)\n", what,
		npurt_strerror(err), npurt_last_error());
	return 1;
}

int main(int argc, char **argv)
{
	const char *spec = argc > 1 && *argv[1] ? argv[1] : NULL;
	unsigned int runs = argc > 2 ? (unsigned int)atoi(argv[2]) : 64;
	unsigned int depth = argc > 3 ? (unsigned int)atoi(argv[3]) : 8;
	struct npurt_queue_opts qo = { 0 };
	npurt_runtime *rt = NULL;
	npurt_program *prog = NULL;
	npurt_model *model = NULL;
	npurt_queue *q = NULL;
	npurt_runner *ref = NULL;
	npurt_tensor *in = NULL, *out = NULL, *want = NULL;
	unsigned int submitted = 0, received = 0, bad = 0, out_of_order = 0;
	unsigned int last = 0;
	int ret;

	if (!runs || !depth || depth > 1024)
		return fprintf(stderr, "usage: queue_inflight [SPEC [RUNS "
			       "[DEPTH]]]\n"), 2;
	qo.input_queue_size = depth;
	qo.output_queue_size = depth;
	ret = npurt_runtime_create(spec, &rt);
	if (ret)
		return fail("opening the devices", ret);
	ret = mlp_build(&shape, &prog);
	if (!ret)
		ret = npurt_model_from_program(prog, &model);
	npurt_program_destroy(prog);
	if (!ret)
		ret = npurt_queue_create(rt, model, &qo, &q);
	if (!ret)
		ret = npurt_runner_create(rt, model, NULL, &ref);
	if (!ret)
		ret = npurt_tensor_alloc(rt, npurt_queue_input(q, 0), &in);
	if (!ret)
		ret = npurt_tensor_alloc(rt, npurt_queue_output(q, 0), &out);
	if (!ret)
		ret = npurt_tensor_alloc(rt, npurt_queue_output(q, 0), &want);
	if (ret) {
		fail("setting up", ret);
		goto out;
	}
	while (received < runs) {
		void *ctx;
		unsigned int id;

		/* Keep the queue full; take results as they come. */
		if (submitted < runs && submitted - received < depth) {
			mlp_input(npurt_tensor_data(in), npurt_tensor_size(in),
				  submitted);
			ret = npurt_queue_submit(q, &in,
						 (void *)(uintptr_t)submitted);
			if (ret) {
				fail("submit", ret);
				goto out;
			}
			if (++submitted == runs)
				npurt_queue_close_submit(q);
			continue;
		}
		ret = npurt_queue_recv(q, &ctx, &out, -1);
		if (ret) {
			fail("recv", ret);
			goto out;
		}
		id = (unsigned int)(uintptr_t)ctx;
		out_of_order += received && id < last;
		last = id;
		received++;
		/* The same input through the synchronous runner. */
		mlp_input(npurt_tensor_data(in), npurt_tensor_size(in), id);
		ret = npurt_runner_run(ref, &in, &want);
		if (ret) {
			fail("reference run", ret);
			goto out;
		}
		bad += !!memcmp(npurt_tensor_data(out), npurt_tensor_data(want),
				npurt_tensor_size(out));
	}
	ret = npurt_queue_recv(q, &(void *){ NULL }, &out, 0);
	printf("queue on %s: %u runs, up to %u in flight, %u received out of "
	       "order, %u wrong, end of stream: %s\n", npurt_runtime_spec(rt),
	       runs, depth, out_of_order, bad,
	       ret == -EPIPE ? "yes" : "NO");
	ret = bad || ret != -EPIPE;
out:
	npurt_tensor_destroy(in);
	npurt_tensor_destroy(out);
	npurt_tensor_destroy(want);
	npurt_runner_destroy(ref);
	npurt_queue_destroy(q);
	npurt_model_destroy(model);
	npurt_runtime_destroy(rt);
	return ret ? 1 : 0;
}
