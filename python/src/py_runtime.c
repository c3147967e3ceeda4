// SPDX-License-Identifier: MIT
/*
 * py_runtime.c - the types npurt._npurt.Runtime (the devices of a spec),
 * Model (a loaded model: file or bytes, ONNX or .npuprog) and Cancel (a
 * cancellation token).
 */
#include "py_npurt.h"

#include <errno.h>

/* ---- Runtime ---------------------------------------------------------------- */

static int runtime_init(PyObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "spec", NULL };
	PyRuntime *r = (PyRuntime *)self;
	const char *spec = NULL;
	npurt_runtime *rt = NULL;
	int ret;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|z", kwlist, &spec))
		return -1;
	if (r->rt) {
		PyErr_SetString(PyExc_RuntimeError, "Runtime already opened");
		return -1;
	}
	Py_BEGIN_ALLOW_THREADS
	ret = npurt_runtime_create(spec, &rt);
	Py_END_ALLOW_THREADS
	if (ret) {
		py_raise(ret, "open");
		return -1;
	}
	r->rt = rt;
	return 0;
}

static PyObject *runtime_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
	PyRuntime *r = (PyRuntime *)type->tp_alloc(type, 0);

	(void)args;
	(void)kw;
	if (r)
		py_guard_init(&r->guard);
	return (PyObject *)r;
}

void py_runtime_child(PyRuntime *rt, int delta)
{
	rt->children += (unsigned int)delta;
}

static void runtime_close_now(PyRuntime *r)
{
	npurt_runtime *rt = r->rt;

	if (!py_guard_close(&r->guard) || !rt)
		return;
	r->rt = NULL;
	Py_BEGIN_ALLOW_THREADS
	npurt_runtime_destroy(rt);
	Py_END_ALLOW_THREADS
}

static PyObject *runtime_close(PyObject *self, PyObject *unused)
{
	PyRuntime *r = (PyRuntime *)self;

	(void)unused;
	if (r->children)
		return py_raise_msg(-EBUSY, "close", "the runtime still has %u "
				    "open runner(s) or queue(s)", r->children);
	runtime_close_now(r);
	Py_RETURN_NONE;
}

static void runtime_dealloc(PyObject *self)
{
	PyRuntime *r = (PyRuntime *)self;

	runtime_close_now(r);
	py_guard_destroy(&r->guard);
	Py_TYPE(self)->tp_free(self);
}

static PyObject *runtime_spec(PyObject *self, void *closure)
{
	PyRuntime *r = (PyRuntime *)self;

	(void)closure;
	if (!r->rt)
		Py_RETURN_NONE;
	return PyUnicode_FromString(npurt_runtime_spec(r->rt));
}

static PyObject *device_dict(const npurt_device *dev)
{
	struct npurt_device_info i;
	int ret = npurt_device_get_info(dev, &i);

	if (ret)
		return py_raise(ret, "devices");
	return Py_BuildValue("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:i,s:s,s:K,s:K}",
			     "kind", i.kind == NPURT_DEVICE_NPU ? "npu" :
			     i.kind == NPURT_DEVICE_GPU ? "gpu" : "cpu",
			     "name", i.name, "arch", i.arch,
			     "dev_index", i.dev_index, "pe_first", i.pe_first,
			     "pe_count", i.pe_count, "threads", i.threads,
			     "numa_node", i.numa_node,
			     "fw_version", i.fw_version_str,
			     "fw_caps", (unsigned long long)i.fw_caps,
			     "mem_total", (unsigned long long)i.mem_total);
}

static PyObject *runtime_devices(PyObject *self, PyObject *unused)
{
	PyRuntime *r = (PyRuntime *)self;
	PyObject *list = NULL, *d;
	unsigned int i, n;

	(void)unused;
	if (py_guard_enter(&r->guard, "runtime"))
		return NULL;
	n = npurt_runtime_device_count(r->rt);
	list = PyList_New(0);
	for (i = 0; list && i < n; i++) {
		d = device_dict(npurt_runtime_device(r->rt, i));
		if (!d || PyList_Append(list, d))
			Py_CLEAR(list);
		Py_XDECREF(d);
	}
	py_guard_leave(&r->guard);
	return list;
}

/* load_model(source): a path (str, bytes path via os.fspath) or the bytes
 * of a model (bytes-like, with bytes=True). */
static PyObject *runtime_load_model(PyObject *self, PyObject *args,
				    PyObject *kw)
{
	static char *kwlist[] = { "source", "from_bytes", NULL };
	PyRuntime *r = (PyRuntime *)self;
	PyObject *src, *path = NULL;
	npurt_model *model = NULL;
	int from_bytes = 0, ret;
	PyModel *m;
	Py_buffer view;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|p", kwlist, &src,
					 &from_bytes))
		return NULL;
	if (!from_bytes && !PyUnicode_FSConverter(src, &path))
		return NULL;
	if (from_bytes && PyObject_GetBuffer(src, &view, PyBUF_SIMPLE))
		return NULL;
	if (py_guard_enter(&r->guard, "runtime")) {
		Py_XDECREF(path);
		if (from_bytes)
			PyBuffer_Release(&view);
		return NULL;
	}
	if (from_bytes) {
		Py_BEGIN_ALLOW_THREADS
		ret = npurt_model_load_memory(r->rt, view.buf, (size_t)view.len,
					      &model);
		Py_END_ALLOW_THREADS
		PyBuffer_Release(&view);
	} else {
		const char *p = PyBytes_AS_STRING(path);

		Py_BEGIN_ALLOW_THREADS
		ret = npurt_model_load(r->rt, p, &model);
		Py_END_ALLOW_THREADS
		Py_DECREF(path);
	}
	py_guard_leave(&r->guard);
	if (ret)
		return py_raise(ret, "load");
	m = PyObject_New(PyModel, &PyModel_Type);
	if (!m) {
		npurt_model_destroy(model);
		return NULL;
	}
	m->model = model;
	return (PyObject *)m;
}

static PyObject *runtime_profiler_start(PyObject *self, PyObject *arg)
{
	PyRuntime *r = (PyRuntime *)self;
	PyObject *path = NULL;
	int ret;

	if (!PyUnicode_FSConverter(arg, &path))
		return NULL;
	if (py_guard_enter(&r->guard, "runtime")) {
		Py_DECREF(path);
		return NULL;
	}
	ret = npurt_profiler_start(r->rt, PyBytes_AS_STRING(path));
	py_guard_leave(&r->guard);
	Py_DECREF(path);
	if (ret)
		return py_raise(ret, "profile");
	Py_RETURN_NONE;
}

static PyObject *runtime_profiler_stop(PyObject *self, PyObject *unused)
{
	PyRuntime *r = (PyRuntime *)self;
	int ret;

	(void)unused;
	if (py_guard_enter(&r->guard, "runtime"))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	ret = npurt_profiler_stop(r->rt);
	Py_END_ALLOW_THREADS
	py_guard_leave(&r->guard);
	if (ret)
		return py_raise(ret, "profile");
	Py_RETURN_NONE;
}

static PyMethodDef runtime_methods[] = {
	{ "close", runtime_close, METH_NOARGS,
	  "close(): release the devices (no runner or queue may be open)." },
	{ "devices", runtime_devices, METH_NOARGS,
	  "devices() -> list of dicts: the devices the spec selected." },
	{ "load_model", (PyCFunction)(void (*)(void))runtime_load_model,
	  METH_VARARGS | METH_KEYWORDS,
	  "load_model(source, from_bytes=False) -> Model" },
	{ "profiler_start", runtime_profiler_start, METH_O,
	  "profiler_start(path): record a Chrome trace for path." },
	{ "profiler_stop", runtime_profiler_stop, METH_NOARGS,
	  "profiler_stop(): write the trace." },
	{ NULL, NULL, 0, NULL },
};

static PyGetSetDef runtime_getset[] = {
	{ "spec", runtime_spec, NULL, "the device spec (None once closed)",
	  NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

PyTypeObject PyRuntime_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "npurt._npurt.Runtime",
	.tp_basicsize = sizeof(PyRuntime),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Runtime(spec=None): the devices of a device spec, opened "
		  "(PE nodes exclusively) until close().",
	.tp_new = runtime_new,
	.tp_init = runtime_init,
	.tp_dealloc = runtime_dealloc,
	.tp_methods = runtime_methods,
	.tp_getset = runtime_getset,
};

/* ---- Model ------------------------------------------------------------------- */

static void model_dealloc(PyObject *self)
{
	npurt_model_destroy(((PyModel *)self)->model);
	Py_TYPE(self)->tp_free(self);
}

static PyObject *model_name(PyObject *self, void *closure)
{
	(void)closure;
	return PyUnicode_FromString(npurt_model_name(((PyModel *)self)->model));
}

static PyObject *model_summary(PyObject *self, PyObject *unused)
{
	(void)unused;
	return PyUnicode_FromString(
		npurt_model_summary(((PyModel *)self)->model));
}

static PyObject *model_descs(PyObject *self, bool out)
{
	const npurt_model *m = ((PyModel *)self)->model;
	unsigned int i, n = out ? npurt_model_output_count(m) :
			    npurt_model_input_count(m);
	PyObject *list = PyList_New(n), *t;

	for (i = 0; list && i < n; i++) {
		t = py_desc_tuple(out ? npurt_model_output(m, i) :
				  npurt_model_input(m, i));
		if (!t) {
			Py_CLEAR(list);
			break;
		}
		PyList_SET_ITEM(list, i, t);
	}
	return list;
}

static PyObject *model_inputs(PyObject *self, PyObject *unused)
{
	(void)unused;
	return model_descs(self, false);
}

static PyObject *model_outputs(PyObject *self, PyObject *unused)
{
	(void)unused;
	return model_descs(self, true);
}

static PyMethodDef model_methods[] = {
	{ "summary", model_summary, METH_NOARGS, "summary() -> str" },
	{ "inputs", model_inputs, METH_NOARGS,
	  "inputs() -> list of description tuples" },
	{ "outputs", model_outputs, METH_NOARGS,
	  "outputs() -> list of description tuples" },
	{ NULL, NULL, 0, NULL },
};

static PyGetSetDef model_getset[] = {
	{ "name", model_name, NULL, "the model's name", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

PyTypeObject PyModel_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "npurt._npurt.Model",
	.tp_basicsize = sizeof(PyModel),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "A loaded model (Runtime.load_model()).",
	.tp_dealloc = model_dealloc,
	.tp_methods = model_methods,
	.tp_getset = model_getset,
};

/* ---- Cancel ------------------------------------------------------------------ */

static PyObject *cancel_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
	PyCancel *c;
	int ret;

	if (!PyArg_ParseTuple(args, ":Cancel") ||
	    (kw && PyDict_Size(kw))) {
		if (!PyErr_Occurred())
			PyErr_SetString(PyExc_TypeError, "Cancel() takes no "
					"arguments");
		return NULL;
	}
	c = (PyCancel *)type->tp_alloc(type, 0);
	if (!c)
		return NULL;
	ret = npurt_cancel_create(&c->cancel);
	if (ret) {
		Py_DECREF(c);
		return py_raise(ret, "cancel");
	}
	return (PyObject *)c;
}

static void cancel_dealloc(PyObject *self)
{
	npurt_cancel_destroy(((PyCancel *)self)->cancel);
	Py_TYPE(self)->tp_free(self);
}

static PyObject *cancel_request(PyObject *self, PyObject *unused)
{
	(void)unused;
	npurt_cancel_request(((PyCancel *)self)->cancel);
	Py_RETURN_NONE;
}

static PyObject *cancel_reset(PyObject *self, PyObject *unused)
{
	(void)unused;
	npurt_cancel_reset(((PyCancel *)self)->cancel);
	Py_RETURN_NONE;
}

static PyObject *cancel_requested(PyObject *self, void *closure)
{
	(void)closure;
	return PyBool_FromLong(
		npurt_cancel_requested(((PyCancel *)self)->cancel));
}

static PyMethodDef cancel_methods[] = {
	{ "request", cancel_request, METH_NOARGS,
	  "request(): cancel the runs given this token (thread-safe)." },
	{ "reset", cancel_reset, METH_NOARGS,
	  "reset(): let later runs through again." },
	{ NULL, NULL, 0, NULL },
};

static PyGetSetDef cancel_getset[] = {
	{ "requested", cancel_requested, NULL, "whether requested", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

PyTypeObject PyCancel_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "npurt._npurt.Cancel",
	.tp_basicsize = sizeof(PyCancel),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Cancel(): a cancellation token (npurt_cancel) for runs.",
	.tp_new = cancel_new,
	.tp_dealloc = cancel_dealloc,
	.tp_methods = cancel_methods,
	.tp_getset = cancel_getset,
};
