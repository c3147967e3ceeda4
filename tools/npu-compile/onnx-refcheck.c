// SPDX-License-Identifier: MIT
/*
 * onnx-refcheck - compare compiled quantized models against a naive,
 * independent reference of the ONNX semantics.
 *
 *   onnx-refcheck [--device SPEC] [--sets N] [--max-diff D] MODEL.onnx...
 *
 * For each model: N random inputs (a fixed LCG seed; full integer range)
 * are run through (a) npuc_compile + libnpurt on SPEC and (b) a naive
 * interpreter written from the ONNX operator definitions, in double
 * precision, that shares no code with the lowering: DequantizeLinear and
 * QuantizeLinear (round half to even, saturate), float Conv, Gemm, Relu,
 * integer MaxPool, Reshape, Flatten, and the integer QLinearConv,
 * QLinearMatMul (int32 accumulation, requantization by s_x s_w / s_y) and
 * com.microsoft QLinearAdd / QLinearGlobalAveragePool (dequantize, compute,
 * quantize). Only the protobuf decoding (npuc_load_file) is shared.
 * Prints "NAME on SPEC: N outputs, K differ (P%), max diff M" and fails
 * (exit 1) when any output differs by more than D (default 1).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npuc.h"
#include "onnx.pb-c.h"

struct val {
	int ndim;
	int64_t d[NPUC_MAX_DIMS];
	int32_t elem;
	double *v;
	int64_t n;
};

static int val_alloc(struct val *x, int ndim, const int64_t *d, int32_t elem)
{
	int i;

	x->ndim = ndim;
	x->elem = elem;
	x->n = 1;
	for (i = 0; i < ndim; i++) {
		x->d[i] = d[i];
		x->n *= d[i];
	}
	free(x->v);
	x->v = calloc((size_t)(x->n ? x->n : 1), sizeof(double));
	return x->v ? 0 : -ENOMEM;
}

static double elem_get(int32_t elem, const void *p, int64_t i)
{
	switch (elem) {
	case NPUC_INT8: return ((const int8_t *)p)[i];
	case NPUC_UINT8: return ((const uint8_t *)p)[i];
	case NPUC_INT32: { int32_t x; memcpy(&x, (const char *)p + 4 * i, 4);
		return x; }
	case NPUC_INT64: { int64_t x; memcpy(&x, (const char *)p + 8 * i, 8);
		return (double)x; }
	case NPUC_FLOAT: { float x; memcpy(&x, (const char *)p + 4 * i, 4);
		return x; }
	}
	return NAN;
}

static const Onnx__AttributeProto *attr(const struct npuc_node *n,
					const char *name)
{
	const Onnx__NodeProto *p = n->proto;
	size_t i;

	for (i = 0; i < p->n_attribute; i++)
		if (!strcmp(p->attribute[i]->name, name))
			return p->attribute[i];
	return NULL;
}

static int64_t attr_i(const struct npuc_node *n, const char *name, int64_t def)
{
	const Onnx__AttributeProto *a = attr(n, name);

	return a ? a->i : def;
}

static double attr_f(const struct npuc_node *n, const char *name, double def)
{
	const Onnx__AttributeProto *a = attr(n, name);

	return a ? a->f : def;
}

static void attr_ints(const struct npuc_node *n, const char *name,
		      int64_t *out, int cnt, int64_t def)
{
	const Onnx__AttributeProto *a = attr(n, name);
	int i;

	for (i = 0; i < cnt; i++)
		out[i] = a && (size_t)i < a->n_ints ? a->ints[i] : def;
}

/* round half to even, then saturate to the type of the zero point */
static double quantize(double x, int32_t elem)
{
	double r = nearbyint(x);	/* FE_TONEAREST: half to even */

	if (elem == NPUC_UINT8)
		return r < 0 ? 0 : r > 255 ? 255 : r;
	if (elem == NPUC_INT8)
		return r < -128 ? -128 : r > 127 ? 127 : r;
	return r;
}

/* per-axis parameter value for element @i of @x along @axis */
static double param_at(const struct val *p, const struct val *x, int axis,
		       int64_t i)
{
	int64_t inner = 1;
	int k;

	if (p->n == 1)
		return p->v[0];
	if (axis >= x->ndim)	/* a 1-D bias with a per-element zero point */
		axis = x->ndim - 1;
	for (k = axis + 1; k < x->ndim; k++)
		inner *= x->d[k];
	return p->v[(i / inner) % x->d[axis]];
}

#define IN(k) (&V[nd->in[k]])
#define HAS(k) (nd->nin > (k) && nd->in[k] >= 0)

/* Convolution on NCHW (2-D), integer or float values as doubles.
 * Returns into @y the raw accumulator (sum + bias). */
static int conv(const struct npuc_node *nd, const struct val *x,
		const struct val *w, const struct val *b, double xz,
		const struct val *wz, struct val *y)
{
	int64_t pads[4], st[2], dil[2], grp = attr_i(nd, "group", 1);
	int64_t N = x->d[0], C = x->d[1], H = x->d[2], W = x->d[3];
	int64_t M = w->d[0], CG = w->d[1], KH = w->d[2], KW = w->d[3];
	int64_t OH, OW, n, m, oh, ow, c, kh, kw, od[4];

	attr_ints(nd, "pads", pads, 4, 0);
	attr_ints(nd, "strides", st, 2, 1);
	attr_ints(nd, "dilations", dil, 2, 1);
	if (x->ndim != 4 || w->ndim != 4 || C != CG * grp)
		return npuc_err(-EINVAL, "conv: unsupported shapes");
	OH = (H + pads[0] + pads[2] - dil[0] * (KH - 1) - 1) / st[0] + 1;
	OW = (W + pads[1] + pads[3] - dil[1] * (KW - 1) - 1) / st[1] + 1;
	od[0] = N; od[1] = M; od[2] = OH; od[3] = OW;
	if (val_alloc(y, 4, od, NPUC_FLOAT))
		return -ENOMEM;
	for (n = 0; n < N; n++)
	for (m = 0; m < M; m++)
	for (oh = 0; oh < OH; oh++)
	for (ow = 0; ow < OW; ow++) {
		int64_t g = m / (M / grp);
		double acc = b ? b->v[m] : 0;
		double z = wz ? (wz->n == 1 ? wz->v[0] : wz->v[m]) : 0;

		for (c = 0; c < CG; c++)
		for (kh = 0; kh < KH; kh++)
		for (kw = 0; kw < KW; kw++) {
			int64_t ih = oh * st[0] - pads[0] + kh * dil[0];
			int64_t iw = ow * st[1] - pads[1] + kw * dil[1];
			double xv;

			if (ih < 0 || ih >= H || iw < 0 || iw >= W)
				continue;	/* padding: x == zero point */
			xv = x->v[((n * C + g * CG + c) * H + ih) * W + iw];
			acc += (xv - xz) *
				(w->v[((m * CG + c) * KH + kh) * KW + kw] - z);
		}
		y->v[((n * M + m) * OH + oh) * OW + ow] = acc;
	}
	return 0;
}

/* A (.., M, K) x B (K, N) -> (.., M, N), zero points subtracted. */
static int matmul(const struct val *a, const struct val *b, double az,
		  const struct val *bz, bool transb, struct val *y)
{
	int64_t K = a->d[a->ndim - 1], M = a->d[a->ndim - 2];
	int64_t N = transb ? b->d[0] : b->d[1], batch = a->n / (M * K);
	int64_t od[NPUC_MAX_DIMS], i, j, k, bt;

	if (b->ndim != 2 || (transb ? b->d[1] : b->d[0]) != K || a->ndim < 2)
		return npuc_err(-EINVAL, "matmul: unsupported shapes");
	memcpy(od, a->d, sizeof(od));
	od[a->ndim - 1] = N;
	if (val_alloc(y, a->ndim, od, NPUC_FLOAT))
		return -ENOMEM;
	for (bt = 0; bt < batch; bt++)
	for (i = 0; i < M; i++)
	for (j = 0; j < N; j++) {
		double acc = 0, z = bz ? (bz->n == 1 ? bz->v[0] : bz->v[j]) : 0;

		for (k = 0; k < K; k++)
			acc += (a->v[(bt * M + i) * K + k] - az) *
				((transb ? b->v[j * K + k] : b->v[k * N + j]) - z);
		y->v[(bt * M + i) * N + j] = acc;
	}
	return 0;
}

static int eval_node(const struct npuc_graph *g, const struct npuc_node *nd,
		     struct val *V)
{
	struct val *y = &V[nd->out[0]];
	const char *op = nd->op;
	int64_t i, k;
	int ret;

	if (!strcmp(op, "DequantizeLinear")) {
		const struct val *x = IN(0), *s = IN(1);
		int axis = (int)attr_i(nd, "axis", 1);

		if (axis < 0)
			axis += x->ndim;
		if ((ret = val_alloc(y, x->ndim, x->d, NPUC_FLOAT)))
			return ret;
		for (i = 0; i < x->n; i++)
			y->v[i] = (x->v[i] - (HAS(2) ? param_at(IN(2), x, axis, i)
					      : 0)) * param_at(s, x, axis, i);
	} else if (!strcmp(op, "QuantizeLinear")) {
		const struct val *x = IN(0), *s = IN(1);
		int32_t e = HAS(2) ? IN(2)->elem : NPUC_UINT8;
		int axis = (int)attr_i(nd, "axis", 1);

		if (axis < 0)
			axis += x->ndim;
		if ((ret = val_alloc(y, x->ndim, x->d, e)))
			return ret;
		for (i = 0; i < x->n; i++)
			y->v[i] = quantize(x->v[i] / param_at(s, x, axis, i) +
					   (HAS(2) ? param_at(IN(2), x, axis, i)
					    : 0), e);
	} else if (!strcmp(op, "Relu")) {
		if ((ret = val_alloc(y, IN(0)->ndim, IN(0)->d, IN(0)->elem)))
			return ret;
		for (i = 0; i < y->n; i++)
			y->v[i] = IN(0)->v[i] > 0 ? IN(0)->v[i] : 0;
	} else if (!strcmp(op, "Conv")) {
		if ((ret = conv(nd, IN(0), IN(1), HAS(2) ? IN(2) : NULL, 0, NULL,
				y)))
			return ret;
	} else if (!strcmp(op, "QLinearConv")) {
		const struct val *x = IN(0);
		double M;

		if ((ret = conv(nd, x, IN(3), HAS(8) ? IN(8) : NULL, IN(2)->v[0],
				IN(5), y)))
			return ret;
		y->elem = IN(7)->elem;
		for (i = 0; i < y->n; i++) {
			int64_t m = (i / (y->d[2] * y->d[3])) % y->d[1];

			M = IN(1)->v[0] * (IN(4)->n == 1 ? IN(4)->v[0] :
					   IN(4)->v[m]) / IN(6)->v[0];
			y->v[i] = quantize(y->v[i] * M + IN(7)->v[0], y->elem);
		}
	} else if (!strcmp(op, "QLinearMatMul")) {
		if ((ret = matmul(IN(0), IN(3), IN(2)->v[0], IN(5), false, y)))
			return ret;
		y->elem = IN(7)->elem;
		for (i = 0; i < y->n; i++) {
			int64_t j = i % y->d[y->ndim - 1];
			double M = IN(1)->v[0] * (IN(4)->n == 1 ? IN(4)->v[0] :
						  IN(4)->v[j]) / IN(6)->v[0];

			y->v[i] = quantize(y->v[i] * M + IN(7)->v[0], y->elem);
		}
	} else if (!strcmp(op, "Gemm")) {
		const struct val *c = HAS(2) ? IN(2) : NULL;
		double alpha = attr_f(nd, "alpha", 1), beta = attr_f(nd, "beta", 1);

		if (attr_i(nd, "transA", 0))
			return npuc_err(-EINVAL, "Gemm transA unsupported");
		if ((ret = matmul(IN(0), IN(1), 0, NULL,
				  attr_i(nd, "transB", 0), y)))
			return ret;
		for (i = 0; i < y->n; i++)
			y->v[i] = alpha * y->v[i] + (c ? beta * c->v[c->n == 1 ?
				0 : i % c->n] : 0);
	} else if (!strcmp(op, "MaxPool")) {
		const struct val *x = IN(0);
		int64_t ks[2], st[2], pads[4], od[4], n, c, oh, ow, kh, kw;

		attr_ints(nd, "kernel_shape", ks, 2, 1);
		attr_ints(nd, "strides", st, 2, 1);
		attr_ints(nd, "pads", pads, 4, 0);
		od[0] = x->d[0]; od[1] = x->d[1];
		od[2] = (x->d[2] + pads[0] + pads[2] - ks[0]) / st[0] + 1;
		od[3] = (x->d[3] + pads[1] + pads[3] - ks[1]) / st[1] + 1;
		if ((ret = val_alloc(y, 4, od, x->elem)))
			return ret;
		for (n = 0; n < od[0]; n++)
		for (c = 0; c < od[1]; c++)
		for (oh = 0; oh < od[2]; oh++)
		for (ow = 0; ow < od[3]; ow++) {
			double mx = -INFINITY;

			for (kh = 0; kh < ks[0]; kh++)
			for (kw = 0; kw < ks[1]; kw++) {
				int64_t ih = oh * st[0] - pads[0] + kh;
				int64_t iw = ow * st[1] - pads[1] + kw;

				if (ih >= 0 && ih < x->d[2] && iw >= 0 &&
				    iw < x->d[3])
					mx = fmax(mx, x->v[((n * x->d[1] + c) *
						x->d[2] + ih) * x->d[3] + iw]);
			}
			y->v[((n * od[1] + c) * od[2] + oh) * od[3] + ow] = mx;
		}
	} else if (!strcmp(op, "Reshape") || !strcmp(op, "Flatten")) {
		const struct val *x = IN(0);
		int64_t od[NPUC_MAX_DIMS], known = 1;
		int nd2, neg = -1;

		if (!strcmp(op, "Flatten")) {
			int64_t ax = attr_i(nd, "axis", 1);

			if (ax < 0)
				ax += x->ndim;
			od[0] = 1;
			for (k = 0; k < ax; k++)
				od[0] *= x->d[k];
			od[1] = x->n / (od[0] ? od[0] : 1);
			nd2 = 2;
		} else {
			const struct val *s = IN(1);

			nd2 = (int)s->n;
			for (k = 0; k < nd2; k++) {
				od[k] = (int64_t)s->v[k];
				if (od[k] == 0)
					od[k] = x->d[k];
				if (od[k] == -1)
					neg = (int)k;
				else
					known *= od[k];
			}
			if (neg >= 0)
				od[neg] = x->n / known;
		}
		if ((ret = val_alloc(y, nd2, od, x->elem)))
			return ret;
		memcpy(y->v, x->v, (size_t)x->n * sizeof(double));
	} else if (!strcmp(op, "QLinearAdd")) {
		const struct val *a = IN(0), *b = IN(3);

		if (a->n != b->n)
			return npuc_err(-EINVAL, "QLinearAdd: broadcast unsupported");
		if ((ret = val_alloc(y, a->ndim, a->d, IN(7)->elem)))
			return ret;
		for (i = 0; i < y->n; i++)
			y->v[i] = quantize(((a->v[i] - IN(2)->v[0]) * IN(1)->v[0] +
					    (b->v[i] - IN(5)->v[0]) * IN(4)->v[0]) /
					   IN(6)->v[0] + IN(7)->v[0], y->elem);
	} else if (!strcmp(op, "QLinearGlobalAveragePool")) {
		const struct val *x = IN(0);
		int64_t od[4] = { x->d[0], x->d[1], 1, 1 }, hw = x->d[2] * x->d[3];

		if (attr_i(nd, "channels_last", 0) || x->ndim != 4)
			return npuc_err(-EINVAL, "QLinearGlobalAveragePool: "
					"unsupported layout");
		if ((ret = val_alloc(y, 4, od, IN(4)->elem)))
			return ret;
		for (i = 0; i < y->n; i++) {
			double s = 0;

			for (k = 0; k < hw; k++)
				s += x->v[i * hw + k] - IN(2)->v[0];
			y->v[i] = quantize(s / (double)hw * IN(1)->v[0] /
					   IN(3)->v[0] + IN(4)->v[0], y->elem);
		}
	} else {
		return npuc_err(-EOPNOTSUPP, "reference: operator %s missing", op);
	}
	(void)g;
	return 0;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 33);
}

static int check_model(npurt_runtime *rt, const char *spec, const char *path,
		       int sets, int max_allowed)
{
	struct npuc_graph *g = NULL, *rg = NULL;
	npurt_program *prog = NULL;
	npurt_model *model = NULL;
	npurt_runner *runner = NULL;
	struct npuc_opts opts = { 0 };
	struct val *V = NULL;
	uint64_t total = 0, differ = 0;
	int64_t maxd = 0;
	int ret, s, i;

	rng_state = 0x9e3779b97f4a7c15ull;	/* same inputs on every device */
	if ((ret = npuc_load_file(path, &g)) || (ret = npuc_load_file(path, &rg)))
		goto err;
	if (g->ninputs != 1 || g->noutputs != 1) {
		ret = npuc_err(-EINVAL, "one input and one output expected");
		goto err;
	}
	if ((ret = npuc_compile(g, &opts, &prog)))
		goto err;
	if ((ret = npurt_model_from_program(prog, &model)) ||
	    (ret = npurt_runner_create(rt, model, NULL, &runner))) {
		fprintf(stderr, "onnx-refcheck: %s: runtime: %s\n", path,
			npurt_last_error());
		goto out;
	}
	V = calloc((size_t)rg->nt, sizeof(*V));
	if (!V) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < rg->nt; i++) {
		const struct npuc_tensor *t = &rg->t[i];
		int64_t k;

		if (!t->data)
			continue;
		if ((ret = val_alloc(&V[i], t->ndim, t->dims, t->elem)))
			goto out;
		for (k = 0; k < V[i].n; k++)
			V[i].v[k] = elem_get(t->elem, t->data, k);
	}
	for (s = 0; s < sets; s++) {
		const struct npuc_tensor *ti = &rg->t[rg->inputs[0]];
		const struct npuc_tensor *to = &rg->t[rg->outputs[0]];
		const npurt_tensor_desc *di = npurt_runner_input(runner, 0);
		const npurt_tensor_desc *dout = npurt_runner_output(runner, 0);
		npurt_tensor *in = NULL, *out = NULL;
		size_t isz = npurt_tensor_desc_size(di);
		size_t osz = npurt_tensor_desc_size(dout);
		uint8_t *ib = malloc(isz), *ob = calloc(1, osz);
		struct val *x = &V[rg->inputs[0]], *yr = &V[rg->outputs[0]];
		int j;

		if (!ib || !ob || (ret = val_alloc(x, ti->ndim, ti->dims,
						      ti->elem))) {
			free(ib);
			free(ob);
			ret = -ENOMEM;
			goto out;
		}
		for (size_t b = 0; b < isz; b++)
			ib[b] = (uint8_t)rnd();
		for (int64_t k = 0; k < x->n; k++)
			x->v[k] = elem_get(ti->elem, ib, k);
		ret = npurt_tensor_wrap(di, ib, isz, &in);
		if (!ret)
			ret = npurt_tensor_wrap(dout, ob, osz, &out);
		if (!ret)
			ret = npurt_runner_run(runner, &in, &out);
		npurt_tensor_destroy(in);
		npurt_tensor_destroy(out);
		if (ret) {
			fprintf(stderr, "onnx-refcheck: %s: run: %s\n", path,
				npurt_last_error());
			free(ib);
			free(ob);
			goto out;
		}
		for (j = 0; j < rg->nn; j++) {
			const struct npuc_node *nd = &rg->n[rg->order[j]];

			if ((ret = eval_node(rg, nd, V))) {
				free(ib);
				free(ob);
				goto err;
			}
		}
		if ((uint64_t)yr->n * npuc_elem_size(to->elem) != osz) {
			ret = npuc_err(-EINVAL, "reference output has %lld "
				       "elements, runtime %zu bytes",
				       (long long)yr->n, osz);
			free(ib);
			free(ob);
			goto err;
		}
		for (int64_t k = 0; k < yr->n; k++) {
			int64_t dd = llabs((long long)(elem_get(to->elem, ob, k) -
						       yr->v[k]));

			total++;
			differ += dd != 0;
			if (dd > maxd)
				maxd = dd;
		}
		free(ib);
		free(ob);
	}
	printf("%s on %s: %llu outputs (%d inputs), %llu differ (%.2f%%), "
	       "max diff %lld\n", g->name, spec, (unsigned long long)total,
	       sets, (unsigned long long)differ,
	       total ? 100.0 * (double)differ / (double)total : 0.0,
	       (long long)maxd);
	ret = maxd > max_allowed ? 1 : 0;
	goto out;
err:
	fprintf(stderr, "onnx-refcheck: %s: %s\n", path, npuc_last_error());
out:
	if (V && rg)
		for (i = 0; i < rg->nt; i++)
			free(V[i].v);
	free(V);
	npurt_runner_destroy(runner);
	npurt_model_destroy(model);
	npurt_program_destroy(prog);
	npuc_graph_free(g);
	npuc_graph_free(rg);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "sets", required_argument, NULL, 'n' },
		{ "max-diff", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const char *spec = "cpu";
	int c, sets = 200, maxd = 1, fail = 0;
	npurt_runtime *rt = NULL;

	while ((c = getopt_long(argc, argv, "d:n:m:", lo, NULL)) != -1) {
		switch (c) {
		case 'd': spec = optarg; break;
		case 'n': sets = atoi(optarg); break;
		case 'm': maxd = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: onnx-refcheck [--device SPEC] "
				"[--sets N] [--max-diff D] MODEL.onnx...\n");
			return 2;
		}
	}
	if (optind >= argc || sets < 1) {
		fprintf(stderr, "onnx-refcheck: MODEL.onnx missing\n");
		return 2;
	}
	if (npurt_runtime_create(spec, &rt) < 0) {
		fprintf(stderr, "onnx-refcheck: device \"%s\": %s\n", spec,
			npurt_last_error());
		return 1;
	}
	for (c = optind; c < argc; c++)
		fail |= check_model(rt, spec, argv[c], sets, maxd);
	npurt_runtime_destroy(rt);
	return fail;
}
