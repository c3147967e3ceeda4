// SPDX-License-Identifier: MIT
/*
 * graph.c - the graph as the passes see it: tensors by name (a uthash
 * table), nodes added by rewrites, uses rewired, the topological order of
 * the live nodes, attributes (a rewrite's first, then the ONNX node's)
 * and constants read as numbers.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "onnx.pb-c.h"
#include "npuc_ir.h"

struct name_ent {
	UT_hash_handle hh;
	int index;
	char name[];
};

int graph_find_tensor(const struct npuc_graph *g, const char *name)
{
	struct name_ent *e = NULL, *head = g->names;

	HASH_FIND_STR(head, name, e);
	return e ? e->index : -1;
}

int graph_add_tensor(struct npuc_graph *g, const char *name)
{
	struct name_ent *e, *head = g->names;
	struct npuc_tensor *t;
	size_t len = strlen(name);

	if (g->nt == g->capt) {
		int cap = g->capt ? 2 * g->capt : 64;

		/* after graph_reserve() tensors never move */
		if (g->reserved)
			return npuc_err(-E2BIG, "more tensors than the graph's "
					"rewrites may add");
		t = realloc(g->t, (size_t)cap * sizeof(*t));
		if (!t)
			return npuc_err(-ENOMEM, "out of memory");
		g->t = t;
		g->capt = cap;
	}
	e = malloc(sizeof(*e) + len + 1);
	t = &g->t[g->nt];
	memset(t, 0, sizeof(*t));
	t->name = strdup(name);
	if (!e || !t->name) {
		free(e);
		free(t->name);
		return npuc_err(-ENOMEM, "out of memory");
	}
	memcpy(e->name, name, len + 1);
	e->index = g->nt;
	HASH_ADD_STR(head, name, e);
	g->names = head;
	t->ndim = -1;
	t->producer = -1;
	t->dq_of = -1;
	t->q.axis = -1;
	return g->nt++;
}

void graph_names_free(struct npuc_graph *g)
{
	struct name_ent *e, *tmp, *head = g->names;

	HASH_ITER(hh, head, e, tmp) {
		HASH_DEL(head, e);
		free(e);
	}
	g->names = NULL;
}

const char *graph_name(struct npuc_graph *g, const char *base,
		       const char *tag)
{
	char buf[512];
	int k;

	for (k = 0; k < 1000000; k++) {
		if (k)
			snprintf(buf, sizeof(buf), "%.400s:%s%d", base, tag, k);
		else
			snprintf(buf, sizeof(buf), "%.400s:%s", base, tag);
		if (graph_find_tensor(g, buf) < 0)
			break;
	}
	if (g->nstrs == g->capstrs) {
		int cap = g->capstrs ? 2 * g->capstrs : 16;
		char **s = realloc(g->strs, (size_t)cap * sizeof(*s));

		if (!s)
			return NULL;
		g->strs = s;
		g->capstrs = cap;
	}
	g->strs[g->nstrs] = strdup(buf);
	return g->strs[g->nstrs] ? g->strs[g->nstrs++] : NULL;
}

int graph_add_node(struct npuc_graph *g, const struct npuc_opdef *def,
		   const char *name, int nin, int nout)
{
	struct npuc_node *n;
	int i;

	if (g->nn == g->capn)
		return npuc_err(-E2BIG, "more nodes than the graph's rewrites "
				"may add");
	n = &g->n[g->nn];
	memset(n, 0, sizeof(*n));
	n->in = malloc(((size_t)nin + 1) * sizeof(int));
	n->out = malloc(((size_t)nout + 1) * sizeof(int));
	if (!n->in || !n->out) {
		free(n->in);
		free(n->out);
		return npuc_err(-ENOMEM, "out of memory");
	}
	for (i = 0; i < nin; i++)
		n->in[i] = -1;
	for (i = 0; i < nout; i++)
		n->out[i] = -1;
	n->nin = nin;
	n->nout = nout;
	n->def = def;
	n->op = def->op;
	n->domain = def->domain;
	n->name = name;
	return g->nn++;
}

/*
 * Room for what rewrites add (an alias per quantized reading, a table
 * node per QuantizeLinear): reserved once after import, so that node and
 * tensor pointers held by the passes stay valid.
 */
int graph_reserve(struct npuc_graph *g)
{
	int cn = 3 * g->nn + 64, ct = 3 * g->nt + 64;
	struct npuc_node *n = realloc(g->n, (size_t)cn * sizeof(*n));
	struct npuc_tensor *t;

	if (!n)
		return npuc_err(-ENOMEM, "out of memory");
	g->n = n;
	g->capn = cn;
	t = realloc(g->t, (size_t)ct * sizeof(*t));
	if (!t)
		return npuc_err(-ENOMEM, "out of memory");
	g->t = t;
	g->capt = ct;
	g->reserved = true;
	return 0;
}

void graph_replace_uses(struct npuc_graph *g, int from, int to)
{
	int i, j;

	for (i = 0; i < g->nn; i++) {
		if (g->n[i].dead)
			continue;
		for (j = 0; j < g->n[i].nin; j++)
			if (g->n[i].in[j] == from)
				g->n[i].in[j] = to;
	}
}

void graph_kill(struct npuc_graph *g, struct npuc_node *n)
{
	(void)g;
	n->dead = true;
}

/*
 * Consumers' counts, producers and the topological order of the live
 * nodes (Kahn's algorithm over a consumer index, O(nodes + uses)).
 */
int graph_refresh(struct npuc_graph *g)
{
	int *indeg, *queue, *first, *next, *who, nuse = 0, i, j, head = 0,
	    tail = 0, live = 0, ret = 0;

	for (i = 0; i < g->nn; i++)
		nuse += g->n[i].nin;
	indeg = calloc((size_t)g->nn + 1, sizeof(int));
	queue = malloc(((size_t)g->nn + 1) * sizeof(int));
	first = malloc(((size_t)g->nt + 1) * sizeof(int));
	next = malloc(((size_t)nuse + 1) * sizeof(int));
	who = malloc(((size_t)nuse + 1) * sizeof(int));
	free(g->order);
	g->order = malloc(((size_t)g->nn + 1) * sizeof(int));
	if (!indeg || !queue || !first || !next || !who || !g->order) {
		ret = npuc_err(-ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < g->nt; i++) {
		g->t[i].nconsumers = 0;
		first[i] = -1;
		if (g->t[i].producer >= 0 && g->n[g->t[i].producer].dead)
			g->t[i].producer = -1;
	}
	for (i = 0; i < g->nn; i++) {
		if (g->n[i].dead)
			continue;
		live++;
		for (j = 0; j < g->n[i].nout; j++)
			if (g->n[i].out[j] >= 0)
				g->t[g->n[i].out[j]].producer = i;
	}
	nuse = 0;
	for (i = 0; i < g->nn; i++) {
		if (g->n[i].dead)
			continue;
		for (j = 0; j < g->n[i].nin; j++) {
			int ti = g->n[i].in[j];

			if (ti < 0)
				continue;
			g->t[ti].nconsumers++;
			who[nuse] = i;
			next[nuse] = first[ti];
			first[ti] = nuse++;
			if (g->t[ti].producer >= 0)
				indeg[i]++;
		}
	}
	for (i = 0; i < g->nn; i++)
		if (!g->n[i].dead && !indeg[i])
			queue[tail++] = i;
	g->norder = 0;
	while (head < tail) {
		int ni = queue[head++];

		g->order[g->norder++] = ni;
		for (j = 0; j < g->n[ni].nout; j++) {
			int ti = g->n[ni].out[j], u;

			if (ti < 0)
				continue;
			for (u = first[ti]; u >= 0; u = next[u])
				if (--indeg[who[u]] == 0)
					queue[tail++] = who[u];
		}
	}
	if (g->norder != live)
		ret = npuc_err(-EINVAL, "graph \"%s\": the nodes form a cycle "
			       "(%d of %d nodes can be ordered)", g->name,
			       g->norder, live);
out:
	free(indeg);
	free(queue);
	free(first);
	free(next);
	free(who);
	return ret;
}

/* ---- inputs --------------------------------------------------------------- */

struct npuc_tensor *in_t(struct npuc_graph *g, const struct npuc_node *n,
			 int i)
{
	return i < n->nin && n->in[i] >= 0 ? &g->t[n->in[i]] : NULL;
}

struct npuc_tensor *out_t(struct npuc_graph *g, const struct npuc_node *n,
			  int i)
{
	return i < n->nout && n->out[i] >= 0 ? &g->t[n->out[i]] : NULL;
}

int need_in(struct npuc_graph *g, const struct npuc_node *n, int i,
	    struct npuc_tensor **t)
{
	*t = in_t(g, n, i);
	if (!*t)
		return npuc_err(-EINVAL, "node \"%s\" (%s): input %d is missing",
				n->name, n->op, i);
	return 0;
}

int need_const(const struct npuc_node *n, const struct npuc_tensor *t,
	       const char *what)
{
	if (!t)		/* an optional input left out */
		return npuc_err(-EINVAL, "node \"%s\" (%s): %s is missing",
				n->name, n->op, what);
	if (!t->data)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): %s \"%s\" must be "
				"a constant (initializer or computable from "
				"them)", n->name, n->op, what, t->name);
	return 0;
}

int need_shape(const struct npuc_node *n, const struct npuc_tensor *t)
{
	if (t->ndim < 0 || !t->elem)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): the shape of "
				"\"%s\" is unknown", n->name, n->op, t->name);
	return 0;
}

/* ---- attributes ------------------------------------------------------------ */

static const struct npuc_attr *own_attr(const struct npuc_node *n,
					const char *name)
{
	int i;

	for (i = 0; i < n->nattrs; i++)
		if (!strcmp(n->attrs[i].name, name))
			return &n->attrs[i];
	return NULL;
}

static const Onnx__AttributeProto *attr(const struct npuc_node *n,
					const char *name)
{
	const Onnx__NodeProto *p = n->proto;
	size_t i;

	if (!p)
		return NULL;
	for (i = 0; i < p->n_attribute; i++)
		if (p->attribute[i]->name && !strcmp(p->attribute[i]->name, name))
			return p->attribute[i];
	return NULL;
}

bool attr_has(const struct npuc_node *n, const char *name)
{
	return own_attr(n, name) || attr(n, name);
}

int64_t attr_i(const struct npuc_node *n, const char *name, int64_t def)
{
	const struct npuc_attr *o = own_attr(n, name);
	const Onnx__AttributeProto *a;

	if (o)
		return o->i;
	a = attr(n, name);
	return a && a->has_i ? a->i : def;
}

double attr_f(const struct npuc_node *n, const char *name, double def)
{
	const struct npuc_attr *o = own_attr(n, name);
	const Onnx__AttributeProto *a;

	if (o)
		return o->f;
	a = attr(n, name);
	return a && a->has_f ? a->f : def;
}

int attr_ints(const struct npuc_node *n, const char *name, int64_t *v,
	      int max)
{
	const struct npuc_attr *o = own_attr(n, name);
	const Onnx__AttributeProto *a;
	size_t i;

	if (o) {
		if (o->nints > max)
			return npuc_err(-EINVAL, "node \"%s\": attribute %s has "
					"%d values", n->name, name, o->nints);
		memcpy(v, o->ints, (size_t)o->nints * sizeof(*v));
		return o->nints;
	}
	a = attr(n, name);
	if (!a)
		return -1;
	if (a->n_ints > (size_t)max)
		return npuc_err(-EINVAL, "node \"%s\": attribute %s has %zu "
				"values, at most %d expected", n->name, name,
				a->n_ints, max);
	for (i = 0; i < a->n_ints; i++)
		v[i] = a->ints[i];
	return (int)a->n_ints;
}

void attr_s(const struct npuc_node *n, const char *name, char *buf,
	    size_t len, const char *def)
{
	const Onnx__AttributeProto *a = attr(n, name);

	if (a && a->has_s)
		snprintf(buf, len, "%.*s", (int)a->s.len, (const char *)a->s.data);
	else
		snprintf(buf, len, "%s", def);
}



int attr_tensor(const struct npuc_node *n, const char *name,
		struct npuc_tensor *t)
{
	const Onnx__AttributeProto *a = attr(n, name);

	memset(t, 0, sizeof(*t));
	if (!a || !a->t)
		return npuc_err(-EINVAL, "node \"%s\" (%s): no tensor attribute "
				"\"%s\"", n->name, n->op, name);
	return npuc_tensor_from_proto(a->t, t);
}

static struct npuc_attr *set_attr(struct npuc_node *n, const char *name)
{
	struct npuc_attr *o = (struct npuc_attr *)own_attr(n, name);

	if (!o) {
		if (n->nattrs == NPUC_MAX_ATTRS)
			return NULL;
		o = &n->attrs[n->nattrs++];
	}
	memset(o, 0, sizeof(*o));
	o->name = name;
	o->nints = -1;
	return o;
}

int attr_set_i(struct npuc_node *n, const char *name, int64_t v)
{
	struct npuc_attr *o = set_attr(n, name);

	if (!o)
		return npuc_err(-E2BIG, "node \"%s\": too many attributes",
				n->name);
	o->i = v;
	o->f = (double)v;
	return 0;
}

int attr_set_f(struct npuc_node *n, const char *name, double v)
{
	struct npuc_attr *o = set_attr(n, name);

	if (!o)
		return npuc_err(-E2BIG, "node \"%s\": too many attributes",
				n->name);
	o->f = v;
	/* the integer view, saturated (bounds like 1e300 stand for none) */
	o->i = !(v == v) ? 0 : v >= 9.2e18 ? INT64_MAX :
	       v <= -9.2e18 ? INT64_MIN : (int64_t)v;
	return 0;
}

int attr_set_ints(struct npuc_node *n, const char *name, const int64_t *v,
		  int cnt)
{
	struct npuc_attr *o = set_attr(n, name);

	if (!o || cnt > NPUC_MAX_DIMS)
		return npuc_err(-E2BIG, "node \"%s\": too many attributes",
				n->name);
	memcpy(o->ints, v, (size_t)cnt * sizeof(*v));
	o->nints = cnt;
	return 0;
}

/* ---- constants --------------------------------------------------------------- */

double cval(const struct npuc_tensor *t, uint64_t i)
{
	const uint8_t *d = t->data;

	switch (t->elem) {
	case NPUC_FLOAT: { float f; memcpy(&f, d + 4 * i, 4); return f; }
	case NPUC_DOUBLE: { double f; memcpy(&f, d + 8 * i, 8); return f; }
	case NPUC_FLOAT16: { uint16_t h; memcpy(&h, d + 2 * i, 2);
		return npuc_half_to_float(h); }
	case NPUC_INT8: return (int8_t)d[i];
	case NPUC_UINT8: case NPUC_BOOL: return d[i];
	case NPUC_INT16: { int16_t v; memcpy(&v, d + 2 * i, 2); return v; }
	case NPUC_UINT16: { uint16_t v; memcpy(&v, d + 2 * i, 2); return v; }
	case NPUC_INT32: { int32_t v; memcpy(&v, d + 4 * i, 4); return v; }
	case NPUC_UINT32: { uint32_t v; memcpy(&v, d + 4 * i, 4); return v; }
	case NPUC_INT64: { int64_t v; memcpy(&v, d + 8 * i, 8);
		return (double)v; }
	default: { uint64_t v; memcpy(&v, d + 8 * i, 8); return (double)v; }
	}
}

int64_t cval_i(const struct npuc_tensor *t, uint64_t i)
{
	if (t->elem == NPUC_INT64 || t->elem == NPUC_UINT64) {
		int64_t v;

		memcpy(&v, (const uint8_t *)t->data + 8 * i, 8);
		return v;
	}
	return (int64_t)cval(t, i);
}

int cscalar(const struct npuc_node *n, const struct npuc_tensor *t,
	    const char *what, double *v)
{
	uint64_t i, cnt;
	int ret = need_const(n, t, what);

	if (ret)
		return ret;
	cnt = npuc_tensor_elements(t);
	if (!cnt)
		return npuc_err(-EINVAL, "node \"%s\": %s is empty", n->name,
				what);
	*v = cval(t, 0);
	for (i = 1; i < cnt; i++)
		if (cval(t, i) != *v)
			return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): %s must "
					"be per-tensor here", n->name, n->op,
					what);
	return 0;
}

uint64_t tbytes(const struct npuc_tensor *t)
{
	return npuc_tensor_elements(t) * npuc_elem_size(t->elem);
}

bool same_shape(const struct npuc_tensor *a, const struct npuc_tensor *b)
{
	int i;

	if (a->ndim != b->ndim)
		return false;
	for (i = 0; i < a->ndim; i++)
		if (a->dims[i] != b->dims[i])
			return false;
	return true;
}

bool is_q8(int32_t elem)
{
	return elem == NPUC_INT8 || elem == NPUC_UINT8;
}

bool is_float(int32_t elem)
{
	return elem == NPUC_FLOAT || elem == NPUC_FLOAT16 ||
	       elem == NPUC_DOUBLE;
}

bool is_int(int32_t elem)
{
	return elem && !is_float(elem) && npuc_elem_size(elem);
}

int set_shape(struct npuc_tensor *t, int32_t elem, int ndim,
	      const int64_t *dims)
{
	uint64_t cnt = 1;
	int i;

	if (!t)		/* an absent optional output */
		return 0;
	if (ndim > NPUC_MAX_DIMS)
		return npuc_err(-EINVAL, "tensor \"%s\": rank %d above %d",
				t->name, ndim, NPUC_MAX_DIMS);
	for (i = 0; i < ndim; i++) {
		if (dims[i] < 0 || dims[i] > (int64_t)NPUC_MAX_ELEMENTS)
			return npuc_err(-EINVAL, "tensor \"%s\": dimension %d "
					"is %lld", t->name, i,
					(long long)dims[i]);
		cnt *= (uint64_t)(dims[i] ? dims[i] : 1);
		if (cnt > NPUC_MAX_ELEMENTS)
			return npuc_err(-EINVAL, "tensor \"%s\": more than 2^32 "
					"elements", t->name);
	}
	if (t->is_output && t->ndim >= 0) {
		bool same = t->ndim == ndim;

		for (i = 0; same && i < ndim; i++)
			same = t->dims[i] == dims[i];
		if (!same)
			return npuc_err(-EINVAL, "graph output \"%s\": the "
					"computed shape differs from the "
					"declared one", t->name);
	}
	if (t->is_output && t->elem && t->elem != elem)
		return npuc_err(-EINVAL, "graph output \"%s\": declared %s, "
				"computed %s", t->name, npuc_elem_name(t->elem),
				npuc_elem_name(elem));
	t->elem = elem;
	t->ndim = ndim;
	for (i = 0; i < ndim; i++)
		t->dims[i] = dims[i];
	return 0;
}

int set_const(struct npuc_tensor *t, int32_t elem, int ndim,
	      const int64_t *dims, void *data)
{
	int ret = set_shape(t, elem, ndim, dims);

	if (ret || !t) {
		free(data);
		return ret;
	}
	free(t->data);
	t->data = data;
	t->nbytes = tbytes(t);
	return 0;
}
