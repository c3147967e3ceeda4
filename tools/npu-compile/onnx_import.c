// SPDX-License-Identifier: MIT
/*
 * onnx_import.c - parse an ONNX ModelProto with protobuf-c (code generated
 * at build time from Debian's onnx.proto) into struct npuc_graph, checking
 * everything the lowering relies on: opsets, node and tensor names (SSA),
 * a topological order (cycles refused), tensor types, shapes and
 * initializer payloads. Bad input is a -EINVAL/-EBADMSG with a sentence in
 * npuc_last_error(), never a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onnx.pb-c.h"
#include "npuc_ir.h"

static _Thread_local char npuc_errbuf[512];

const char *npuc_last_error(void)
{
	return npuc_errbuf;
}

int npuc_err(int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(npuc_errbuf, sizeof(npuc_errbuf), fmt, ap);
	va_end(ap);
	return ret;
}

size_t npuc_elem_size(int32_t elem)
{
	switch (elem) {
	case NPUC_UINT8: case NPUC_INT8: case NPUC_BOOL: return 1;
	case NPUC_UINT16: case NPUC_INT16: case NPUC_FLOAT16: return 2;
	case NPUC_FLOAT: case NPUC_INT32: case NPUC_UINT32: return 4;
	case NPUC_INT64: case NPUC_DOUBLE: case NPUC_UINT64: return 8;
	default: return 0;
	}
}

const char *npuc_elem_name(int32_t elem)
{
	static const char *const names[] = {
		"undefined", "float", "uint8", "int8", "uint16", "int16",
		"int32", "int64", "string", "bool", "float16", "double",
		"uint32", "uint64", "complex64", "complex128", "bfloat16",
	};

	if (elem >= 0 && elem < (int32_t)(sizeof(names) / sizeof(names[0])))
		return names[elem];
	return "unknown";
}

uint64_t npuc_tensor_elements(const struct npuc_tensor *t)
{
	uint64_t n = 1;
	int i;

	for (i = 0; i < t->ndim; i++)
		n *= (uint64_t)t->dims[i];
	return n;
}

float npuc_half_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31,
		 m = h & 0x3ff, bits;
	float f;

	if (e == 0) {
		f = (float)m / 16777216.0f;	/* m * 2^-24 */
		return sign ? -f : f;
	}
	if (e == 31)
		bits = sign | 0x7f800000u | (m << 13);
	else
		bits = sign | ((e + 112) << 23) | (m << 13);
	memcpy(&f, &bits, 4);
	return f;
}

/* Shape checks shared by value infos and tensors. */
static int check_dims(const char *what, const char *name, size_t n,
		      const int64_t *dims, int64_t *out, int *ndim)
{
	uint64_t elems = 1;
	size_t i;

	if (n > NPUC_MAX_DIMS)
		return npuc_err(-EINVAL, "%s \"%s\": rank %zu is above %d",
				what, name, n, NPUC_MAX_DIMS);
	for (i = 0; i < n; i++) {
		if (dims[i] < 0 || (uint64_t)dims[i] > NPUC_MAX_ELEMENTS)
			return npuc_err(-EINVAL, "%s \"%s\": dimension %zu is "
					"%lld (absurd shape)", what, name, i,
					(long long)dims[i]);
		elems *= (uint64_t)(dims[i] ? dims[i] : 1);
		if (elems > NPUC_MAX_ELEMENTS)
			return npuc_err(-EINVAL, "%s \"%s\": more than 2^32 "
					"elements (absurd shape)", what, name);
		out[i] = dims[i];
	}
	*ndim = (int)n;
	return 0;
}

/* Elements the typed data field of @p that holds type @elem has. */
static size_t tensor_typed_count(const Onnx__TensorProto *p, int32_t elem)
{
	switch (elem) {
	case NPUC_FLOAT:
		return p->n_float_data;
	case NPUC_INT64:
		return p->n_int64_data;
	case NPUC_DOUBLE:
		return p->n_double_data;
	case NPUC_UINT32: case NPUC_UINT64:
		return p->n_uint64_data;
	default:	/* INT32 and the 8/16-bit types: int32_data */
		return p->n_int32_data;
	}
}

/* Decode a TensorProto into t (name, type, dims, dense data). */
int npuc_tensor_from_proto(const void *proto, struct npuc_tensor *t)
{
	const Onnx__TensorProto *p = proto;
	const char *name = p->name ? p->name : "";
	size_t esz, n, i;
	uint64_t elems;
	uint8_t *d;
	int ret;

	t->elem = p->has_data_type ? p->data_type : 0;
	esz = npuc_elem_size(t->elem);
	if (!esz)
		return npuc_err(-EOPNOTSUPP, "tensor \"%s\": data type %d (%s) is "
				"not supported", name, t->elem,
				npuc_elem_name(t->elem));
	if (p->has_data_location &&
	    p->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
		return npuc_err(-EOPNOTSUPP, "tensor \"%s\": external data is "
				"not supported", name);
	if (p->segment)
		return npuc_err(-EOPNOTSUPP, "tensor \"%s\": segmented tensors "
				"are not supported", name);
	ret = check_dims("tensor", name, p->n_dims, p->dims, t->dims,
			 &t->ndim);
	if (ret)
		return ret;
	elems = npuc_tensor_elements(t);
	n = (size_t)elems;
	/*
	 * The data must be there before the buffer is allocated: a model of a
	 * few bytes may declare dims of 2^32 elements (found by fuzz_onnx).
	 */
	if (p->has_raw_data && p->raw_data.len != n * esz)
		return npuc_err(-EBADMSG, "tensor \"%s\": raw_data has "
				"%zu bytes, %zu x %zu expected", name,
				p->raw_data.len, n, esz);
	if (!p->has_raw_data && n && tensor_typed_count(p, t->elem) != n)
		goto count;
	d = calloc(n ? n : 1, esz);
	if (!d)
		return npuc_err(-ENOMEM, "tensor \"%s\": out of memory", name);
	t->data = d;
	t->nbytes = n * esz;
	if (p->has_raw_data) {
		if (n)
			memcpy(d, p->raw_data.data, n * esz);
		return 0;
	}
	if (!n)		/* no elements: nothing to copy (fields may be NULL) */
		return 0;
	switch (t->elem) {
	case NPUC_FLOAT:
		if (p->n_float_data != n)
			goto count;
		memcpy(d, p->float_data, n * 4);
		break;
	case NPUC_INT32:
		if (p->n_int32_data != n)
			goto count;
		memcpy(d, p->int32_data, n * 4);
		break;
	case NPUC_INT64:
		if (p->n_int64_data != n)
			goto count;
		memcpy(d, p->int64_data, n * 8);
		break;
	case NPUC_DOUBLE:
		if (p->n_double_data != n)
			goto count;
		memcpy(d, p->double_data, n * 8);
		break;
	case NPUC_UINT32: case NPUC_UINT64:
		if (p->n_uint64_data != n)
			goto count;
		for (i = 0; i < n; i++) {
			if (esz == 4) {
				uint32_t v = (uint32_t)p->uint64_data[i];

				memcpy(d + 4 * i, &v, 4);
			} else {
				memcpy(d + 8 * i, &p->uint64_data[i], 8);
			}
		}
		break;
	default:	/* 8/16-bit types live in int32_data */
		if (p->n_int32_data != n)
			goto count;
		for (i = 0; i < n; i++) {
			int32_t v = p->int32_data[i];

			if (esz == 1)
				d[i] = (uint8_t)v;
			else
				memcpy(d + 2 * i, &(uint16_t){ (uint16_t)v }, 2);
		}
		break;
	}
	return 0;
count:
	return npuc_err(-EBADMSG, "tensor \"%s\" (%s): the typed data field "
			"does not hold %zu elements", name,
			npuc_elem_name(t->elem), n);
}

void npuc_tensor_release(struct npuc_tensor *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->data);
	t->name = NULL;
	t->data = NULL;
}

int npuc_tensor_decode(const void *pb, size_t len, struct npuc_tensor *t)
{
	Onnx__TensorProto *p;
	int ret;

	memset(t, 0, sizeof(*t));
	p = onnx__tensor_proto__unpack(NULL, len, pb);
	if (!p)
		return npuc_err(-EBADMSG, "not a valid TensorProto (%zu bytes)",
				len);
	ret = npuc_tensor_from_proto(p, t);
	if (!ret) {
		t->name = strdup(p->name ? p->name : "");
		if (!t->name)
			ret = npuc_err(-ENOMEM, "out of memory");
	}
	onnx__tensor_proto__free_unpacked(p, NULL);
	if (ret)
		npuc_tensor_release(t);
	return ret;
}

static int value_info(const Onnx__ValueInfoProto *v, struct npuc_tensor *t)
{
	const Onnx__TypeProto__Tensor *tt;
	int64_t dims[NPUC_MAX_DIMS];
	size_t i;

	if (!v->type || v->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
	    !v->type->tensor_type)
		return npuc_err(-EOPNOTSUPP, "value \"%s\": only tensor types "
				"are supported", t->name);
	tt = v->type->tensor_type;
	t->elem = tt->has_elem_type ? tt->elem_type : 0;
	if (!npuc_elem_size(t->elem))
		return npuc_err(-EOPNOTSUPP, "value \"%s\": element type %d (%s) "
				"is not supported", t->name, t->elem,
				npuc_elem_name(t->elem));
	if (!tt->shape)
		return 0;	/* unknown rank */
	if (tt->shape->n_dim > NPUC_MAX_DIMS)
		return npuc_err(-EINVAL, "value \"%s\": rank %zu is above %d",
				t->name, tt->shape->n_dim, NPUC_MAX_DIMS);
	for (i = 0; i < tt->shape->n_dim; i++) {
		const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];

		if (!d || d->value_case !=
		    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
			return npuc_err(-EOPNOTSUPP, "value \"%s\": dimension "
					"%zu is symbolic; give the model fixed "
					"shapes", t->name, i);
		dims[i] = d->dim_value;
	}
	return check_dims("value", t->name, tt->shape->n_dim, dims, t->dims,
			  &t->ndim);
}

/* Ops whose ai.onnx definition did not change between opset 10 and 13. */
static bool op_same_since_10(const char *op)
{
	static const char *const ops[] = {
		"QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger",
	};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(op, ops[i]))
			return true;
	return false;
}

static int import_graph(struct npuc_graph *g, const Onnx__ModelProto *m)
{
	const Onnx__GraphProto *gp = m->graph;
	size_t i, j;
	int ret, ti;

	if (!gp)
		return npuc_err(-EINVAL, "model has no graph");
	snprintf(g->name, sizeof(g->name), "%s",
		 gp->name && gp->name[0] ? gp->name : "model");
	if (gp->n_sparse_initializer)
		return npuc_err(-EOPNOTSUPP, "sparse initializers are not "
				"supported");
	for (i = 0; i < gp->n_initializer; i++) {
		const Onnx__TensorProto *p = gp->initializer[i];

		if (!p->name || !p->name[0])
			return npuc_err(-EINVAL, "initializer %zu has no name",
					i);
		if (graph_find_tensor(g, p->name) >= 0)
			return npuc_err(-EINVAL, "initializer \"%s\" is defined "
					"twice", p->name);
		ti = graph_add_tensor(g, p->name);
		if (ti < 0)
			return ti;
		ret = npuc_tensor_from_proto(p, &g->t[ti]);
		if (ret)
			return ret;
	}
	g->inputs = calloc(gp->n_input + 1, sizeof(int));
	g->outputs = calloc(gp->n_output + 1, sizeof(int));
	if (!g->inputs || !g->outputs)
		return npuc_err(-ENOMEM, "out of memory");
	for (i = 0; i < gp->n_input; i++) {
		const Onnx__ValueInfoProto *v = gp->input[i];

		if (!v->name || !v->name[0])
			return npuc_err(-EINVAL, "graph input %zu has no name",
					i);
		ti = graph_find_tensor(g, v->name);
		if (ti >= 0 && g->t[ti].data)
			continue;	/* IR < 4: initializers listed as inputs */
		if (ti >= 0)
			return npuc_err(-EINVAL, "graph input \"%s\" is listed "
					"twice", v->name);
		ti = graph_add_tensor(g, v->name);
		if (ti < 0)
			return ti;
		ret = value_info(v, &g->t[ti]);
		if (ret)
			return ret;
		if (g->t[ti].ndim < 0)
			return npuc_err(-EOPNOTSUPP, "graph input \"%s\" has no "
					"shape", v->name);
		g->t[ti].is_input = true;
		g->inputs[g->ninputs++] = ti;
	}
	g->nn = (int)gp->n_node;
	g->capn = g->nn + 1;
	g->n = calloc(gp->n_node + 1, sizeof(*g->n));
	if (!g->n)
		return npuc_err(-ENOMEM, "out of memory");
	/* outputs of every node first, so inputs can refer to later nodes
	 * (the order is checked by the topological sort, not assumed) */
	for (i = 0; i < gp->n_node; i++) {
		const Onnx__NodeProto *np = gp->node[i];
		struct npuc_node *n = &g->n[i];

		n->proto = np;
		n->op = np->op_type ? np->op_type : "";
		n->domain = np->domain ? np->domain : "";
		if (!strcmp(n->domain, "ai.onnx"))
			n->domain = "";
		n->name = np->name && np->name[0] ? np->name : n->op;
		if (!n->op[0])
			return npuc_err(-EINVAL, "node %zu has no op_type", i);
		n->nin = (int)np->n_input;
		n->nout = (int)np->n_output;
		n->in = calloc(np->n_input + 1, sizeof(int));
		n->out = calloc(np->n_output + 1, sizeof(int));
		if (!n->in || !n->out)
			return npuc_err(-ENOMEM, "out of memory");
		for (j = 0; j < np->n_output; j++) {
			const char *on = np->output[j];

			n->out[j] = -1;
			if (!on || !on[0])
				continue;
			if (graph_find_tensor(g, on) >= 0)
				return npuc_err(-EINVAL, "node \"%s\" (%s): "
						"output \"%s\" is defined twice",
						n->name, n->op, on);
			ti = graph_add_tensor(g, on);
			if (ti < 0)
				return ti;
			g->t[ti].producer = (int)i;
			n->out[j] = ti;
		}
	}
	for (i = 0; i < gp->n_node; i++) {
		const Onnx__NodeProto *np = gp->node[i];
		struct npuc_node *n = &g->n[i];

		if (n->domain[0] && strcmp(n->domain, "com.microsoft"))
			return npuc_err(-EOPNOTSUPP, "node \"%s\": domain \"%s\" "
					"is not supported", n->name, n->domain);
		if (!n->domain[0] && g->opset < NPUC_MIN_OPSET &&
		    !op_same_since_10(n->op))
			return npuc_err(-EPROTONOSUPPORT, "node \"%s\" (%s): the "
					"model imports ai.onnx opset %lld; "
					"opset %d or later is required",
					n->name, n->op, (long long)g->opset,
					NPUC_MIN_OPSET);
		for (j = 0; j < np->n_input; j++) {
			const char *in = np->input[j];

			n->in[j] = -1;
			if (!in || !in[0])
				continue;
			ti = graph_find_tensor(g, in);
			if (ti < 0)
				return npuc_err(-EINVAL, "node \"%s\" (%s): input "
						"\"%s\" is not defined", n->name,
						n->op, in);
			n->in[j] = ti;
			g->t[ti].nconsumers++;
		}
	}
	for (i = 0; i < gp->n_output; i++) {
		const Onnx__ValueInfoProto *v = gp->output[i];
		struct npuc_tensor tmp;

		ti = v->name ? graph_find_tensor(g, v->name) : -1;
		if (ti < 0)
			return npuc_err(-EINVAL, "graph output \"%s\" is not "
					"produced", v->name ? v->name : "");
		if (g->t[ti].is_output)
			return npuc_err(-EINVAL, "graph output \"%s\" is listed "
					"twice", v->name);
		memset(&tmp, 0, sizeof(tmp));
		tmp.ndim = -1;		/* no shape given: unknown rank */
		tmp.name = g->t[ti].name;
		ret = value_info(v, &tmp);
		if (ret)
			return ret;
		g->t[ti].elem = g->t[ti].elem ? g->t[ti].elem : tmp.elem;
		if (tmp.ndim >= 0 && g->t[ti].ndim < 0) {
			g->t[ti].ndim = tmp.ndim;
			memcpy(g->t[ti].dims, tmp.dims, sizeof(tmp.dims));
		}
		g->t[ti].is_output = true;
		g->outputs[g->noutputs++] = ti;
	}
	if (!g->noutputs)
		return npuc_err(-EINVAL, "graph has no output");
	ret = graph_reserve(g);
	return ret ? ret : graph_refresh(g);
}

int npuc_load_memory(const void *data, size_t size, struct npuc_graph **out)
{
	Onnx__ModelProto *m;
	struct npuc_graph *g;
	size_t i;
	int ret;

	*out = NULL;
	if (!data || !size)
		return npuc_err(-EBADMSG, "empty model");
	if (size > NPUC_MAX_MODEL_BYTES)
		return npuc_err(-EFBIG, "model of %zu bytes is above 2 GiB",
				size);
	m = onnx__model_proto__unpack(NULL, size, data);
	if (!m)
		return npuc_err(-EBADMSG, "not a valid ONNX ModelProto: the "
				"protobuf decoder refused it (truncated or "
				"corrupt, %zu bytes)", size);
	g = calloc(1, sizeof(*g));
	if (!g) {
		onnx__model_proto__free_unpacked(m, NULL);
		return npuc_err(-ENOMEM, "out of memory");
	}
	g->model = m;
	for (i = 0; i < m->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *o = m->opset_import[i];
		const char *d = o->domain ? o->domain : "";

		if (!d[0] || !strcmp(d, "ai.onnx"))
			g->opset = o->has_version ? o->version : 0;
		else if (!strcmp(d, "com.microsoft"))
			g->ms_opset = o->has_version ? o->version : 1;
	}
	if (!m->has_ir_version || m->ir_version < 3) {
		ret = npuc_err(-EBADMSG, "not an ONNX model: ir_version %lld",
			       (long long)(m->has_ir_version ? m->ir_version : 0));
		goto fail;
	}
	if (g->opset < 10) {
		ret = npuc_err(-EPROTONOSUPPORT, "model imports ai.onnx opset "
			       "%lld; opset %d or later is required",
			       (long long)g->opset, NPUC_MIN_OPSET);
		goto fail;
	}
	ret = import_graph(g, m);
	if (ret)
		goto fail;
	*out = g;
	return 0;
fail:
	npuc_graph_free(g);
	return ret;
}

int npuc_load_file(const char *path, struct npuc_graph **out)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd, ret;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return npuc_err(-errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return npuc_err(-EINVAL, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > NPUC_MAX_MODEL_BYTES) {
		close(fd);
		return npuc_err(-EFBIG, "%s: above 2 GiB", path);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return npuc_err(-ENOMEM, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r <= 0) {
			ret = r < 0 ? -errno : -EIO;
			close(fd);
			free(buf);
			return npuc_err(ret, "%s: read failed", path);
		}
		got += (size_t)r;
	}
	close(fd);
	ret = npuc_load_memory(buf, got, out);
	free(buf);
	if (ret) {
		char tmp[512];

		snprintf(tmp, sizeof(tmp), "%s", npuc_last_error());
		npuc_err(ret, "%s: %s", path, tmp);
	}
	return ret;
}

void npuc_graph_free(struct npuc_graph *g)
{
	int i;

	if (!g)
		return;
	for (i = 0; i < g->nt; i++) {
		npuc_tensor_release(&g->t[i]);
		quant_release(&g->t[i].q);
	}
	for (i = 0; i < g->nn; i++) {
		free(g->n[i].in);
		free(g->n[i].out);
		free(g->n[i].sub);
	}
	for (i = 0; i < g->nstrs; i++)
		free(g->strs[i]);
	free(g->strs);
	graph_names_free(g);
	free(g->t);
	free(g->n);
	free(g->order);
	free(g->inputs);
	free(g->outputs);
	if (g->model)
		onnx__model_proto__free_unpacked(g->model, NULL);
	free(g);
}

int npuc_freeze_input(struct npuc_graph *g, const char *name,
		      struct npuc_tensor *c)
{
	int i, k;

	for (i = 0; i < g->ninputs; i++) {
		struct npuc_tensor *t = &g->t[g->inputs[i]];

		if (strcmp(t->name, name))
			continue;
		if (c->elem != t->elem)
			return npuc_err(-EINVAL, "input \"%s\": constant of type "
					"%s for a %s input", name,
					npuc_elem_name(c->elem),
					npuc_elem_name(t->elem));
		t->data = c->data;
		t->nbytes = c->nbytes;
		t->ndim = c->ndim;
		memcpy(t->dims, c->dims, sizeof(t->dims));
		c->data = NULL;
		t->is_input = false;
		for (k = i; k + 1 < g->ninputs; k++)
			g->inputs[k] = g->inputs[k + 1];
		g->ninputs--;
		return 0;
	}
	return npuc_err(-ENOENT, "no graph input \"%s\"", name);
}
