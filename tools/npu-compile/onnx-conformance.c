// SPDX-License-Identifier: MIT
/*
 * onnx-conformance - run ONNX's node tests (../shared/onnx/node/<test>/:
 * model.onnx, test_data_set_N/input_K.pb, output_K.pb) through npu-compile
 * and libnpurt on a device spec ("cpu", "warboy(1)*1", ...).
 *
 *   onnx-conformance [--device SPEC] [--against SPEC2] [--verbose] [--all]
 *                    [--list FILE] NODE_DIR [TEST...]
 *
 * --list FILE runs the tests named in FILE (one a line, '#' comments), the
 * claimed list (tests/onnx/claimed.list): there a claimed test that is
 * missing or not claimed by the compiler counts as a failure.
 *
 * A test is claimed when every operator is one the compiler supports and
 * the compiler accepts the model; a model it refuses (-EOPNOTSUPP: float
 * arithmetic, unsupported attributes) is listed as "skip" with the reason.
 * Graph inputs in parameter positions (scales, zero points, weights,
 * shapes, clip bounds: what quantizers store as initializers) are frozen
 * to the test's values before compiling; the others are fed at run time.
 * Integer outputs must match exactly; float outputs (data movement on the
 * NPU, float operators in CPU steps) within rtol 1e-3, atol 1e-7. Ends
 * with "N passed, N failed".
 *
 * --against SPEC2 runs every passing set on SPEC2 too (the same program,
 * the same inputs): its outputs must equal SPEC's byte for byte, but where
 * the program has a step of a math function (SIGMOID, TANH, EXP, ERF,
 * GELU, POW, SOFTMAX, LOG_SOFTMAX, REDUCE's log modes: runtime/
 * PROGRAM_FORMAT.md), whose last bits are each math library's: there
 * binary32 outputs may differ by up to 4 units in the last place and
 * integer ones by 1, and the set reports how many elements differ.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "npuc.h"

static int verbose;
static npurt_runtime *against_rt;
static const char *against_spec;
/* --against: sets equal byte for byte, sets of math functions that differ */
static int against_equal, against_libm;

/* Whether a step of @prog is a math function's (PROGRAM_FORMAT.md). */
static bool prog_has_libm(const npurt_program *prog)
{
	unsigned int i;

	for (i = 0; i < npurt_program_cpu_op_count(prog); i++) {
		const struct npurt_cpu_op *op = npurt_program_cpu_op(prog, i,
								      NULL);

		switch (op->opcode) {
		case NPURT_CPU_SIGMOID: case NPURT_CPU_TANH:
		case NPURT_CPU_EXP: case NPURT_CPU_ERF: case NPURT_CPU_GELU:
		case NPURT_CPU_POW: case NPURT_CPU_SOFTMAX:
		case NPURT_CPU_LOG_SOFTMAX:
			return true;
		case NPURT_CPU_REDUCE:
			if (op->p[3] >= 8)	/* LOGSUM, LOGSUMEXP */
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

/* @f's place on a line where adjacent binary32 values are 1 apart */
static int64_t ulp_line(float f)
{
	int32_t i;

	memcpy(&i, &f, sizeof(i));
	return i < 0 ? -(int64_t)(i & 0x7fffffff) : i;
}

/*
 * How many units element @k of two @elem tensors differ: binary32 values
 * on the line of adjacent values (+0 and -0 one apart, NaN equal to any
 * NaN and INT32_MAX from a number), integers by value, other types 0 or
 * INT32_MAX by their bytes.
 */
static int64_t elem_units(const void *a, const void *b, int32_t elem,
			  uint64_t k)
{
	size_t sz = npuc_elem_size(elem);
	const uint8_t *pa = (const uint8_t *)a + k * sz;
	const uint8_t *pb = (const uint8_t *)b + k * sz;
	int64_t u = 0, v = 0;
	float x, y;

	if (!memcmp(pa, pb, sz))
		return 0;
	switch (elem) {
	case NPUC_FLOAT:
		memcpy(&x, pa, 4);
		memcpy(&y, pb, 4);
		if (isnan(x) || isnan(y))
			return isnan(x) && isnan(y) ? 0 : INT32_MAX;
		u = ulp_line(x) - ulp_line(y);
		return u ? llabs(u) : 1;	/* +0 and -0 */
	case NPUC_INT8:
		u = (int8_t)*pa;
		v = (int8_t)*pb;
		break;
	case NPUC_UINT8:
		u = *pa;
		v = *pb;
		break;
	case NPUC_INT32: {
		int32_t i, j;

		memcpy(&i, pa, 4);
		memcpy(&j, pb, 4);
		u = i;
		v = j;
		break;
	}
	default:
		return INT32_MAX;
	}
	return llabs(u - v);
}

/*
 * Runs @model on against_rt with @ins; its outputs against @obuf (SPEC's).
 * Returns 1 equal (or within the math functions' units), 0 not; @why
 * gets the detail.
 */
static int run_against(npurt_model *model, const npurt_program *prog,
		       npurt_tensor **ins, const struct npuc_tensor *exp,
		       void *const *obuf, int nout, char *why, size_t wl)
{
	npurt_runner *runner = NULL;
	npurt_tensor *outs[64] = { 0 };
	void *o2[64] = { 0 };
	uint64_t diff = 0, elems = 0, k, n;
	int64_t most = 0, most_q = 0, d;
	int i, ret, r = 0;

	ret = npurt_runner_create(against_rt, model, NULL, &runner);
	for (i = 0; i < nout && !ret; i++) {
		o2[i] = calloc(1, exp[i].nbytes + 1);
		ret = o2[i] ? npurt_tensor_wrap(npurt_runner_output(runner,
							(unsigned int)i),
						o2[i], exp[i].nbytes,
						&outs[i]) : -ENOMEM;
	}
	if (!ret)
		ret = npurt_runner_run(runner, ins, outs);
	if (ret) {
		snprintf(why, wl, "%s: %s: %s", against_spec,
			 npurt_strerror(ret), npurt_last_error());
		goto out;
	}
	for (i = 0; i < nout; i++) {
		n = npuc_tensor_elements(&exp[i]);
		elems += n;
		for (k = 0; k < n; k++) {
			d = elem_units(obuf[i], o2[i], exp[i].elem, k);
			if (exp[i].elem == NPUC_FLOAT)
				most = d > most ? d : most;
			else
				most_q = d > most_q ? d : most_q;
			diff += d != 0;
		}
	}
	/* a math function's last bit may move a quantized output one unit */
	if (!diff) {
		against_equal++;
		r = 1;
	} else if (prog_has_libm(prog) && most <= 4 && most_q <= 1) {
		against_libm++;
		snprintf(why, wl, "%llu of %llu elements differ from %s by "
			 "<= %lld units (math functions)",
			 (unsigned long long)diff, (unsigned long long)elems,
			 against_spec, (long long)most);
		r = 1;
	} else {
		snprintf(why, wl, "differs from %s: %llu of %llu elements "
			 "(most %lld units apart)", against_spec,
			 (unsigned long long)diff, (unsigned long long)elems,
			 (long long)(most > most_q ? most : most_q));
	}
out:
	for (i = 0; i < 64; i++) {
		npurt_tensor_destroy(outs[i]);
		free(o2[i]);
	}
	npurt_runner_destroy(runner);
	return r;
}

static bool close_enough(const struct npuc_tensor *exp, const void *got)
{
	uint64_t i, n = npuc_tensor_elements(exp);

	if (exp->elem != NPUC_FLOAT)
		return !memcmp(exp->data, got, exp->nbytes);
	for (i = 0; i < n; i++) {
		float e, g;

		memcpy(&e, (const uint8_t *)exp->data + 4 * i, 4);
		memcpy(&g, (const uint8_t *)got + 4 * i, 4);
		if (isnan(e) != isnan(g) ||
		    (!isnan(e) && fabsf(e - g) > 1e-7f + 1e-3f * fabsf(e)))
			return false;
	}
	return true;
}

/* Returns 1 pass, 0 fail, -1 skip; @why gets the reason. */
static int run_set(npurt_runtime *rt, const char *dir, int set, char *why,
		   size_t wl)
{
	struct npuc_graph *g = NULL;
	npurt_program *prog = NULL;
	npurt_model *model = NULL;
	npurt_runner *runner = NULL;
	npurt_tensor *ins[64] = { 0 }, *outs[64] = { 0 };
	struct npuc_tensor in_data[64], exp[64];
	struct npuc_opts opts = { 0 };
	bool param[64];
	void *obuf[64] = { 0 };
	char path[4200];
	int ret, i, nin, nout, r = 0, fed = 0;

	memset(in_data, 0, sizeof(in_data));
	memset(exp, 0, sizeof(exp));
	snprintf(path, sizeof(path), "%s/model.onnx", dir);
	ret = npuc_load_file(path, &g);
	if (ret) {
		snprintf(why, wl, "import: %s", npuc_last_error());
		return ret == -EOPNOTSUPP || ret == -EPROTONOSUPPORT ? -1 : 0;
	}
	for (i = 0; i < g->nn; i++)
		if (!npuc_op_supported(g->n[i].domain, g->n[i].op)) {
			snprintf(why, wl, "operator %s not claimed", g->n[i].op);
			npuc_graph_free(g);
			return -1;
		}
	nin = g->ninputs;
	nout = g->noutputs;
	if (nin > 64 || nout > 64) {
		snprintf(why, wl, "too many inputs/outputs");
		npuc_graph_free(g);
		return 0;
	}
	for (i = 0; i < nin; i++) {
		param[i] = npuc_input_is_param(g, i);
		ret = npuc_testdata_load(dir, set, "input", i, &in_data[i]);
		if (ret)
			goto out_err;
	}
	for (i = 0; i < nin; i++)
		if (param[i] && (ret = npuc_freeze_input(g, g->t[g->inputs[fed]].name,
							 &in_data[i])))
			goto out_err;
		else if (!param[i])
			fed++;
	ret = npuc_compile(g, verbose ? (opts.explain = stdout, &opts) :
			   &opts, &prog);
	if (ret) {
		snprintf(why, wl, "%s", npuc_last_error());
		r = ret == -EOPNOTSUPP ? -1 : 0;
		goto out;
	}
	ret = npurt_model_from_program(prog, &model);
	if (!ret)
		ret = npurt_runner_create(rt, model, NULL, &runner);
	if (ret)
		goto out_rt;
	for (i = 0, fed = 0; i < nin; i++) {
		const npurt_tensor_desc *d;

		if (param[i])
			continue;
		d = npurt_runner_input(runner, (unsigned int)fed);
		if (!d || npurt_tensor_desc_size(d) != in_data[i].nbytes) {
			snprintf(why, wl, "input %d: size mismatch", i);
			goto out;
		}
		ret = npurt_tensor_wrap(d, in_data[i].data, in_data[i].nbytes,
					&ins[fed++]);
		if (ret)
			goto out_rt;
	}
	for (i = 0; i < nout; i++) {
		const npurt_tensor_desc *d = npurt_runner_output(runner,
							(unsigned int)i);

		ret = npuc_testdata_load(dir, set, "output", i, &exp[i]);
		if (ret)
			goto out_err;
		if (!d || npurt_tensor_desc_size(d) != exp[i].nbytes) {
			snprintf(why, wl, "output %d: %llu bytes, %zu expected",
				 i, d ? (unsigned long long)
				 npurt_tensor_desc_size(d) : 0ull,
				 exp[i].nbytes);
			goto out;
		}
		obuf[i] = calloc(1, exp[i].nbytes + 1);
		if (!obuf[i])
			goto out;
		ret = npurt_tensor_wrap(d, obuf[i], exp[i].nbytes, &outs[i]);
		if (ret)
			goto out_rt;
	}
	ret = npurt_runner_run(runner, ins, outs);
	if (ret)
		goto out_rt;
	r = 1;
	for (i = 0; i < nout; i++)
		if (!close_enough(&exp[i], obuf[i])) {
			uint64_t k, n = exp[i].nbytes, diff = 0;

			for (k = 0; k < n; k++)
				diff += ((uint8_t *)exp[i].data)[k] !=
					((uint8_t *)obuf[i])[k];
			snprintf(why, wl, "output %d differs (%llu of %llu "
				 "bytes)", i, (unsigned long long)diff,
				 (unsigned long long)n);
			r = 0;
		}
	if (r)
		snprintf(why, wl, "%u commands, %u CPU steps",
			 npurt_program_cmd_count(prog),
			 npurt_program_cpu_op_count(prog));
	if (r && against_rt)
		r = run_against(model, prog, ins, exp, obuf, nout, why, wl);
	goto out;
out_rt:
	snprintf(why, wl, "runtime: %s: %s", npurt_strerror(ret),
		 npurt_last_error());
	goto out;
out_err:
	snprintf(why, wl, "%s", npuc_last_error());
out:
	for (i = 0; i < 64; i++) {
		npurt_tensor_destroy(ins[i]);
		npurt_tensor_destroy(outs[i]);
		free(obuf[i]);
		npuc_tensor_release(&in_data[i]);
		npuc_tensor_release(&exp[i]);
	}
	npurt_runner_destroy(runner);
	npurt_model_destroy(model);
	npurt_program_destroy(prog);
	npuc_graph_free(g);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "all", no_argument, NULL, 'a' },
		{ "list", required_argument, NULL, 'l' },
		{ "against", required_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	const char *spec = "cpu";
	int c, i, ntests = 0, pass = 0, fail = 0, skip = 0, show_all = 0;
	char **tests = NULL, why[600], dir[4096];
	bool owned = false, claimed = false;
	const char *listp = NULL;
	npurt_runtime *rt = NULL;
	struct dirent *de;
	DIR *d;

	while ((c = getopt_long(argc, argv, "d:val:A:", lo, NULL)) != -1) {
		switch (c) {
		case 'd': spec = optarg; break;
		case 'A': against_spec = optarg; break;
		case 'v': verbose = 1; break;
		case 'a': show_all = 1; break;
		case 'l': listp = optarg; break;
		default:
			fprintf(stderr, "usage: onnx-conformance [--device SPEC] "
				"[--against SPEC2] [--verbose] [--all] "
				"[--list FILE] NODE_DIR [TEST...]\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "onnx-conformance: NODE_DIR missing\n");
		return 2;
	}
	if (listp) {
		FILE *fp = fopen(listp, "r");
		char line[512];

		if (!fp) {
			fprintf(stderr, "onnx-conformance: %s: %s\n", listp,
				strerror(errno));
			return 1;
		}
		while (fgets(line, sizeof(line), fp)) {
			char *p = line + strspn(line, " \t");

			p[strcspn(p, " \t\r\n#")] = 0;
			if (!*p)
				continue;
			tests = realloc(tests, (size_t)(ntests + 1) *
					sizeof(*tests));
			if (!tests || !(tests[ntests++] = strdup(p))) {
				fclose(fp);
				return 1;
			}
		}
		fclose(fp);
		owned = true;
		claimed = true;
	} else if (optind + 1 < argc) {
		tests = &argv[optind + 1];
		ntests = argc - optind - 1;
	} else {
		d = opendir(argv[optind]);
		if (!d) {
			fprintf(stderr, "onnx-conformance: %s: %s\n",
				argv[optind], strerror(errno));
			return 1;
		}
		while ((de = readdir(d))) {
			if (strncmp(de->d_name, "test_", 5))
				continue;
			tests = realloc(tests, (size_t)(ntests + 1) *
					sizeof(*tests));
			if (!tests)
				return 1;
			tests[ntests++] = strdup(de->d_name);
		}
		closedir(d);
		owned = true;
		qsort(tests, (size_t)ntests, sizeof(*tests), cmp_str);
	}
	if (npurt_runtime_create(spec, &rt) < 0) {
		fprintf(stderr, "onnx-conformance: device \"%s\": %s\n", spec,
			npurt_last_error());
		return 1;
	}
	if (against_spec && npurt_runtime_create(against_spec,
						 &against_rt) < 0) {
		fprintf(stderr, "onnx-conformance: device \"%s\": %s\n",
			against_spec, npurt_last_error());
		npurt_runtime_destroy(rt);
		return 1;
	}
	printf("%-58s %-6s %s\n", "test", "result", "detail");
	for (i = 0; i < ntests; i++) {
		int set, r = -1, sets = 0;

		snprintf(dir, sizeof(dir), "%s/%s", argv[optind], tests[i]);
		for (set = 0; set < 16; set++) {
			char p[4200];

			snprintf(p, sizeof(p), "%s/test_data_set_%d", dir, set);
			if (access(p, F_OK))
				break;
			r = run_set(rt, dir, set, why, sizeof(why));
			sets++;
			if (r != 1)
				break;
		}
		if (!sets) {
			r = 0;
			snprintf(why, sizeof(why), "no test data");
		}
		if (r < 0 && claimed) {
			char tmp[sizeof(why)];

			memcpy(tmp, why, sizeof(tmp));
			snprintf(why, sizeof(why), "claimed but %.500s", tmp);
			r = 0;
		}
		if (r == 1)
			pass++;
		else if (r == 0)
			fail++;
		else
			skip++;
		if (r >= 0 || show_all)
			printf("%-58s %-6s %s\n", tests[i],
			       r == 1 ? "pass" : r == 0 ? "FAIL" : "skip", why);
	}
	npurt_runtime_destroy(rt);
	npurt_runtime_destroy(against_rt);
	if (against_spec)
		printf("against %s: %d sets equal byte for byte, %d of math "
		       "functions within their units\n", against_spec,
		       against_equal, against_libm);
	for (i = 0; owned && i < ntests; i++)
		free(tests[i]);
	if (owned)
		free(tests);
	printf("device %s: %d passed, %d failed (%d tests not claimed%s)\n",
	       spec, pass, fail, skip, show_all ? "" : "; --all lists them");
	return fail ? 1 : 0;
}
