// SPDX-License-Identifier: MIT
/*
 * basic_runner.c - the smallest complete libnpurt program: open the
 * devices a spec names, build the example MLP, run it once with a runner
 * and print the output bytes, so that runs on different devices can be
 * compared with diff(1).
 *
 *   basic_runner [SPEC]     SPEC defaults to $NPU_DEVICES, else "auto"
 *
 * Build: cc basic_runner.c $(pkg-config --cflags --libs npurt)
 */
#include <stdio.h>
#include <stdlib.h>

#include <npurt.h>

#include "example_mlp.h"

static int fail(const char *what, int err)
{
	fprintf(stderr, "basic_runner: %s: %s (%s)\n", what,
		npurt_strerror(err), npurt_last_error());
	return 1;
}

int main(int argc, char **argv)
{
	const struct mlp_shape shape = { .m = 4, .k = 96, .hid = 80, .n = 24,
					 .seed = 2024 };
	npurt_runtime *rt = NULL;
	npurt_program *prog = NULL;
	npurt_model *model = NULL;
	npurt_runner *runner = NULL;
	npurt_tensor *in = NULL, *out = NULL;
	const uint8_t *y;
	unsigned int i;
	int ret, status = 1;

	ret = npurt_runtime_create(argc > 1 ? argv[1] : NULL, &rt);
	if (ret)
		return fail("opening the devices", ret);
	ret = mlp_build(&shape, &prog);
	if (ret) {
		status = fail("building the program", ret);
		goto out;
	}
	ret = npurt_model_from_program(prog, &model);
	npurt_program_destroy(prog);
	if (!ret)
		ret = npurt_runner_create(rt, model, NULL, &runner);
	if (!ret)
		ret = npurt_tensor_alloc(rt, npurt_runner_input(runner, 0), &in);
	if (!ret)
		ret = npurt_tensor_alloc(rt, npurt_runner_output(runner, 0),
					 &out);
	if (ret) {
		status = fail("preparing the run", ret);
		goto out;
	}
	mlp_input(npurt_tensor_data(in), npurt_tensor_size(in), 77);
	ret = npurt_runner_run(runner, &in, &out);
	if (ret) {
		status = fail("running", ret);
		goto out;
	}
	printf("devices: %s (%u)\n", npurt_runtime_spec(rt),
	       npurt_runtime_device_count(rt));
	for (i = 0; i < npurt_runtime_device_count(rt); i++)
		printf("  %s\n", npurt_device_name(npurt_runtime_device(rt, i)));
	fputs(npurt_model_summary(model), stdout);
	y = npurt_tensor_data(out);
	printf("output y:");
	for (i = 0; i < npurt_tensor_size(out); i++)
		printf("%s%02x", i % 24 ? " " : "\n  ", y[i]);
	printf("\n");
	status = 0;
out:
	npurt_tensor_destroy(in);
	npurt_tensor_destroy(out);
	npurt_runner_destroy(runner);
	npurt_model_destroy(model);
	npurt_runtime_destroy(rt);
	return status;
}
