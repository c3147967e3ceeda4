// SPDX-License-Identifier: MIT
/*
 * py_runner.c - npurt._npurt.Runner: synchronous runs over caller buffers
 * (wrapped as tensors, no copy here), with the GIL released while the run
 * waits, a timeout and a cancellation token.
 */
#include "py_npurt.h"

#include <errno.h>

typedef struct {
	PyObject_HEAD
	npurt_runner *runner;
	PyRuntime *rt;			/* strong reference */
	struct py_guard guard;
} PyRunner;

static const npurt_tensor_desc *runner_in(const void *r, unsigned int i)
{
	return npurt_runner_input(r, i);
}

static const npurt_tensor_desc *runner_out(const void *r, unsigned int i)
{
	return npurt_runner_output(r, i);
}

static PyObject *runner_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
	PyRunner *r = (PyRunner *)type->tp_alloc(type, 0);

	(void)args;
	(void)kw;
	if (r)
		py_guard_init(&r->guard);
	return (PyObject *)r;
}

static int runner_init(PyObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "runtime", "model", "worker_num",
				  "batch_size", NULL };
	struct npurt_runner_opts o = { 0 };
	PyRunner *r = (PyRunner *)self;
	npurt_runner *runner = NULL;
	PyRuntime *rt;
	PyModel *m;
	int ret;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O!O!|II", kwlist,
					 &PyRuntime_Type, &rt, &PyModel_Type,
					 &m, &o.worker_num, &o.batch_size))
		return -1;
	if (r->runner) {
		PyErr_SetString(PyExc_RuntimeError, "Runner already created");
		return -1;
	}
	if (py_guard_enter(&rt->guard, "runtime"))
		return -1;
	Py_BEGIN_ALLOW_THREADS
	ret = npurt_runner_create(rt->rt, m->model, &o, &runner);
	Py_END_ALLOW_THREADS
	py_guard_leave(&rt->guard);
	if (ret) {
		py_raise(ret, "runner");
		return -1;
	}
	r->runner = runner;
	Py_INCREF(rt);
	r->rt = rt;
	py_runtime_child(rt, 1);
	return 0;
}

static void runner_close_now(PyRunner *r)
{
	npurt_runner *runner = r->runner;

	if (!py_guard_close(&r->guard) || !runner)
		return;
	r->runner = NULL;
	Py_BEGIN_ALLOW_THREADS
	npurt_runner_destroy(runner);
	Py_END_ALLOW_THREADS
	py_runtime_child(r->rt, -1);
}

static PyObject *runner_close(PyObject *self, PyObject *unused)
{
	(void)unused;
	runner_close_now((PyRunner *)self);
	Py_RETURN_NONE;
}

static void runner_dealloc(PyObject *self)
{
	PyRunner *r = (PyRunner *)self;

	runner_close_now(r);
	Py_XDECREF(r->rt);
	py_guard_destroy(&r->guard);
	Py_TYPE(self)->tp_free(self);
}

/* run(inputs, outputs, timeout_ms=0, cancel=None) */
static PyObject *runner_run(PyObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "inputs", "outputs", "timeout_ms", "cancel",
				  NULL };
	struct npurt_run_opts o = { .size = sizeof(o) };
	PyRunner *r = (PyRunner *)self;
	PyObject *ins, *outs, *cancel = Py_None;
	npurt_tensor **ti = NULL, **to = NULL;
	Py_buffer *vi = NULL, *vo = NULL;
	unsigned int ni = 0, no = 0;
	int ret;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|IO", kwlist, &ins, &outs,
					 &o.timeout_ms, &cancel))
		return NULL;
	if (cancel != Py_None && !PyObject_TypeCheck(cancel, &PyCancel_Type)) {
		PyErr_SetString(PyExc_TypeError, "cancel: a Cancel or None");
		return NULL;
	}
	if (cancel != Py_None)
		o.cancel = ((PyCancel *)cancel)->cancel;
	if (py_guard_enter(&r->guard, "runner"))
		return NULL;
	ni = npurt_runner_input_count(r->runner);
	no = npurt_runner_output_count(r->runner);
	if (py_tensors_wrap(ins, ni, runner_in, r->runner, false, "input", &ti,
			    &vi) ||
	    py_tensors_wrap(outs, no, runner_out, r->runner, true, "output",
			    &to, &vo))
		goto out;
	Py_BEGIN_ALLOW_THREADS
	ret = npurt_runner_run_opts(r->runner, ti, to, &o);
	Py_END_ALLOW_THREADS
	if (ret)
		py_raise(ret, "run");
out:
	py_tensors_release(ti ? ni : 0, ti, vi);
	py_tensors_release(to ? no : 0, to, vo);
	py_guard_leave(&r->guard);
	if (PyErr_Occurred())
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *runner_descs(PyObject *self, bool out)
{
	PyRunner *r = (PyRunner *)self;
	PyObject *list;
	unsigned int i, n;

	if (py_guard_enter(&r->guard, "runner"))
		return NULL;
	n = out ? npurt_runner_output_count(r->runner) :
	    npurt_runner_input_count(r->runner);
	list = PyList_New(n);
	for (i = 0; list && i < n; i++) {
		PyObject *t = py_desc_tuple(out ? runner_out(r->runner, i) :
					    runner_in(r->runner, i));

		if (!t) {
			Py_CLEAR(list);
			break;
		}
		PyList_SET_ITEM(list, i, t);
	}
	py_guard_leave(&r->guard);
	return list;
}

static PyObject *runner_inputs(PyObject *self, PyObject *unused)
{
	(void)unused;
	return runner_descs(self, false);
}

static PyObject *runner_outputs(PyObject *self, PyObject *unused)
{
	(void)unused;
	return runner_descs(self, true);
}

static PyMethodDef runner_methods[] = {
	{ "run", (PyCFunction)(void (*)(void))runner_run,
	  METH_VARARGS | METH_KEYWORDS,
	  "run(inputs, outputs, timeout_ms=0, cancel=None): one run; inputs "
	  "and outputs are C-contiguous buffers of exactly the batched sizes, "
	  "in model order. The GIL is released while it runs." },
	{ "inputs", runner_inputs, METH_NOARGS,
	  "inputs() -> batched input description tuples" },
	{ "outputs", runner_outputs, METH_NOARGS,
	  "outputs() -> batched output description tuples" },
	{ "close", runner_close, METH_NOARGS,
	  "close(): wait for runs in progress, then free the runner." },
	{ NULL, NULL, 0, NULL },
};

PyTypeObject PyRunner_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "npurt._npurt.Runner",
	.tp_basicsize = sizeof(PyRunner),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Runner(runtime, model, worker_num=0, batch_size=0)",
	.tp_new = runner_new,
	.tp_init = runner_init,
	.tp_dealloc = runner_dealloc,
	.tp_methods = runner_methods,
};
