// SPDX-License-Identifier: MIT
/*
 * py_module.c - the extension module npurt._npurt: module functions
 * (discovery, versions, log level), the close guard, errors raised through
 * npurt._errors, tensor descriptions and buffers wrapped as tensors.
 */
#include "py_npurt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

/* npurt._errors.error_from_errno(errno, detail, op) -> exception */
static PyObject *py_error_factory;

/* ---- guard ------------------------------------------------------------------ */

void py_guard_init(struct py_guard *g)
{
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->idle, NULL);
	g->users = 0;
	g->closed = false;
}

void py_guard_destroy(struct py_guard *g)
{
	pthread_cond_destroy(&g->idle);
	pthread_mutex_destroy(&g->lock);
}

int py_guard_enter(struct py_guard *g, const char *what)
{
	bool closed;

	pthread_mutex_lock(&g->lock);
	closed = g->closed;
	if (!closed)
		g->users++;
	pthread_mutex_unlock(&g->lock);
	if (closed) {
		py_raise_msg(-ESHUTDOWN, "closed", "the %s is closed", what);
		return -1;
	}
	return 0;
}

void py_guard_leave(struct py_guard *g)
{
	pthread_mutex_lock(&g->lock);
	if (!--g->users)
		pthread_cond_broadcast(&g->idle);
	pthread_mutex_unlock(&g->lock);
}

bool py_guard_close(struct py_guard *g)
{
	bool first;

	Py_BEGIN_ALLOW_THREADS
	pthread_mutex_lock(&g->lock);
	first = !g->closed;
	g->closed = true;
	while (g->users)
		pthread_cond_wait(&g->idle, &g->lock);
	pthread_mutex_unlock(&g->lock);
	Py_END_ALLOW_THREADS
	return first;
}

/* ---- errors -------------------------------------------------------------------- */

static PyObject *raise_detail(int err, const char *op, const char *detail)
{
	PyObject *exc;

	if (err < 0)
		err = -err;
	if (!detail || !detail[0])
		detail = npurt_strerror(err);
	exc = PyObject_CallFunction(py_error_factory, "iss", err, detail, op);
	if (!exc)
		return NULL;
	PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
	Py_DECREF(exc);
	return NULL;
}

PyObject *py_raise(int err, const char *op)
{
	return raise_detail(err, op, npurt_last_error());
}

PyObject *py_raise_msg(int err, const char *op, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return raise_detail(err, op, msg);
}

/* ---- descriptions and buffers ------------------------------------------------- */

PyObject *py_desc_tuple(const npurt_tensor_desc *d)
{
	unsigned int a, n = npurt_tensor_desc_ndim(d);
	PyObject *shape = PyTuple_New(n), *axes = PyTuple_New(n), *t;

	if (!shape || !axes)
		goto fail;
	for (a = 0; a < n; a++) {
		PyObject *dim = PyLong_FromUnsignedLongLong(
			npurt_tensor_desc_dim(d, a));
		PyObject *ax = PyUnicode_FromString(
			npurt_tensor_desc_axis_name(d, a));

		if (!dim || !ax) {
			Py_XDECREF(dim);
			Py_XDECREF(ax);
			goto fail;
		}
		PyTuple_SET_ITEM(shape, a, dim);
		PyTuple_SET_ITEM(axes, a, ax);
	}
	t = Py_BuildValue("(sINsNdiK)", npurt_tensor_desc_name(d),
			  (unsigned int)npurt_tensor_desc_dtype(d), shape,
			  npurt_tensor_desc_layout(d), axes,
			  (double)npurt_tensor_desc_scale(d),
			  (int)npurt_tensor_desc_zero_point(d),
			  (unsigned long long)npurt_tensor_desc_size(d));
	return t;
fail:
	Py_XDECREF(shape);
	Py_XDECREF(axes);
	return NULL;
}

void py_tensors_release(unsigned int n, npurt_tensor **tensors,
			Py_buffer *views)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (tensors)
			npurt_tensor_destroy(tensors[i]);
		if (views && views[i].obj)
			PyBuffer_Release(&views[i]);
	}
	PyMem_Free(tensors);
	PyMem_Free(views);
}

int py_tensors_wrap(PyObject *seq, unsigned int n,
		    const npurt_tensor_desc *(*desc)(const void *, unsigned int),
		    const void *owner, bool writable, const char *what,
		    npurt_tensor ***tensors, Py_buffer **views)
{
	int flags = PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0);
	PyObject *fast = PySequence_Fast(seq, "a sequence of buffers");
	npurt_tensor **t = NULL;
	Py_buffer *v = NULL;
	unsigned int i;
	int ret;

	if (!fast)
		return -1;
	if ((size_t)PySequence_Fast_GET_SIZE(fast) != n) {
		py_raise_msg(-EINVAL, what, "%u %ss expected, %zd given", n,
			     what, PySequence_Fast_GET_SIZE(fast));
		goto fail;
	}
	t = PyMem_Calloc(n + 1, sizeof(*t));
	v = PyMem_Calloc(n + 1, sizeof(*v));
	if (!t || !v) {
		PyErr_NoMemory();
		goto fail;
	}
	for (i = 0; i < n; i++) {
		const npurt_tensor_desc *d = desc(owner, i);
		uint64_t size = npurt_tensor_desc_size(d);

		if (PyObject_GetBuffer(PySequence_Fast_GET_ITEM(fast, i), &v[i],
				       flags))
			goto fail;
		if ((uint64_t)v[i].len != size) {
			py_raise_msg(-EINVAL, what, "%s %u (\"%s\"): %zd bytes, "
				     "the model takes %llu", what, i,
				     npurt_tensor_desc_name(d), v[i].len,
				     (unsigned long long)size);
			goto fail;
		}
		ret = npurt_tensor_wrap(d, v[i].buf, (size_t)v[i].len, &t[i]);
		if (ret) {
			py_raise(ret, what);
			goto fail;
		}
	}
	Py_DECREF(fast);
	*tensors = t;
	*views = v;
	return 0;
fail:
	Py_DECREF(fast);
	py_tensors_release(t || v ? n : 0, t, v);
	return -1;
}

/* ---- module functions ------------------------------------------------------- */

static PyObject *node_dict(const struct npurt_node_info *n)
{
	return Py_BuildValue("{s:s,s:s,s:I,s:I,s:I,s:i,s:s,s:K,s:K,s:K,s:K,s:K}",
			     "name", n->name, "devnode", n->devnode,
			     "dev_index", n->dev_index, "pe_first", n->pe_first,
			     "pe_count", n->pe_count, "owner_pid", n->owner_pid,
			     "state", n->state,
			     "busy_ns", (unsigned long long)n->busy_ns,
			     "jobs_completed",
			     (unsigned long long)n->jobs_completed,
			     "jobs_failed", (unsigned long long)n->jobs_failed,
			     "bytes_moved", (unsigned long long)n->bytes_moved,
			     "ops", (unsigned long long)n->ops);
}

static PyObject *npu_dict(const struct npurt_npu_info *d)
{
	struct npurt_node_info nodes[32];
	PyObject *list, *o, *n;
	size_t count = 0, i;
	int ret;

	Py_BEGIN_ALLOW_THREADS
	ret = npurt_discover_nodes(d->index, nodes, 32, &count);
	Py_END_ALLOW_THREADS
	if (ret)
		return py_raise(ret, "discover");
	list = PyList_New(0);
	if (!list)
		return NULL;
	for (i = 0; i < count && i < 32; i++) {
		n = node_dict(&nodes[i]);
		if (!n || PyList_Append(list, n)) {
			Py_XDECREF(n);
			Py_DECREF(list);
			return NULL;
		}
		Py_DECREF(n);
	}
	o = Py_BuildValue("{s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:K,s:K,s:K,s:I,s:i,"
			  "s:N}", "index", d->index, "num_pes", d->num_pes,
			  "arch", d->arch, "fw_state", d->fw_state,
			  "fw_version", d->fw_version, "abi_version",
			  d->abi_version, "uuid", d->uuid,
			  "fw_caps", (unsigned long long)d->fw_caps,
			  "mem_total", (unsigned long long)d->mem_total,
			  "mem_used", (unsigned long long)d->mem_used,
			  "bo_count", d->bo_count, "numa_node", d->numa_node,
			  "nodes", list);
	return o;
}

static PyObject *mod_discover(PyObject *self, PyObject *unused)
{
	struct npurt_npu_info devs[16];
	size_t count = 0, i;
	PyObject *list, *o;
	int ret;

	(void)self;
	(void)unused;
	Py_BEGIN_ALLOW_THREADS
	ret = npurt_discover(devs, 16, &count);
	Py_END_ALLOW_THREADS
	if (ret)
		return py_raise(ret, "discover");
	list = PyList_New(0);
	if (!list)
		return NULL;
	for (i = 0; i < count && i < 16; i++) {
		o = npu_dict(&devs[i]);
		if (!o || PyList_Append(list, o)) {
			Py_XDECREF(o);
			Py_DECREF(list);
			return NULL;
		}
		Py_DECREF(o);
	}
	return list;
}

static PyObject *mod_version(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	return PyUnicode_FromString(npurt_version_string());
}

static PyObject *mod_version_full(PyObject *self, PyObject *unused)
{
	char buf[512];
	int ret;

	(void)self;
	(void)unused;
	Py_BEGIN_ALLOW_THREADS
	ret = npurt_version_full(NULL, buf, sizeof(buf));
	Py_END_ALLOW_THREADS
	if (ret < 0)
		return py_raise(ret, "version");
	return PyUnicode_FromString(buf);
}

static PyObject *mod_set_log_level(PyObject *self, PyObject *arg)
{
	long level = PyLong_AsLong(arg);
	int ret;

	(void)self;
	if (level == -1 && PyErr_Occurred())
		return NULL;
	ret = npurt_log_set_level((enum npurt_log_level)level);
	if (ret)
		return py_raise(ret, "log");
	Py_RETURN_NONE;
}

static PyObject *mod_get_log_level(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	return PyLong_FromLong((long)npurt_log_get_level());
}

static PyObject *mod_strerror(PyObject *self, PyObject *arg)
{
	long err = PyLong_AsLong(arg);

	(void)self;
	if (err == -1 && PyErr_Occurred())
		return NULL;
	return PyUnicode_FromString(npurt_strerror((int)err));
}

static PyMethodDef mod_methods[] = {
	{ "discover", mod_discover, METH_NOARGS,
	  "discover() -> list of dicts: the NPUs present and their nodes." },
	{ "version", mod_version, METH_NOARGS,
	  "version() -> str: MAJOR.MINOR.PATCH of the libnpurt loaded." },
	{ "version_full", mod_version_full, METH_NOARGS,
	  "version_full() -> str: runtime, driver ABI and firmware versions." },
	{ "set_log_level", mod_set_log_level, METH_O,
	  "set_log_level(level: int): 0 INFO, 1 WARN, 2 ERROR, 3 OFF." },
	{ "get_log_level", mod_get_log_level, METH_NOARGS,
	  "get_log_level() -> int" },
	{ "strerror", mod_strerror, METH_O,
	  "strerror(errno: int) -> str: libnpurt's name of an error code." },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef mod_def = {
	PyModuleDef_HEAD_INIT,
	.m_name = "npurt._npurt",
	.m_doc = "The C extension under the npurt package: libnpurt's runtime, "
		 "models, runners and queues. Use the npurt package instead.",
	.m_size = -1,
	.m_methods = mod_methods,
};

PyMODINIT_FUNC PyInit__npurt(void);

PyMODINIT_FUNC PyInit__npurt(void)
{
	PyTypeObject *types[] = { &PyRuntime_Type, &PyModel_Type,
				  &PyCancel_Type, &PyRunner_Type,
				  &PyQueue_Type };
	PyObject *m, *errors;
	size_t i;

	errors = PyImport_ImportModule("npurt._errors");
	if (!errors)
		return NULL;
	py_error_factory = PyObject_GetAttrString(errors, "error_from_errno");
	Py_DECREF(errors);
	if (!py_error_factory)
		return NULL;
	m = PyModule_Create(&mod_def);
	if (!m)
		return NULL;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (PyType_Ready(types[i]) < 0 ||
		    PyModule_AddObjectRef(m, strrchr(types[i]->tp_name, '.') + 1,
					  (PyObject *)types[i]) < 0) {
			Py_DECREF(m);
			return NULL;
		}
	}
	if (PyModule_AddIntConstant(m, "RUN_OPTS_SIZE",
				    (long)NPURT_RUN_OPTS_SIZE_1_2) ||
	    PyModule_AddIntConstant(m, "VERSION_CODE", NPURT_VERSION_CODE)) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
