// SPDX-License-Identifier: MIT
/*
 * py_queue.c - npurt._npurt.Queue: submit (inputs copied by libnpurt
 * before it returns) and recv (outputs copied into caller buffers) with
 * integer contexts, the pollable fd, and close() that wakes blocked
 * callers. The GIL is released while either call blocks.
 */
#include "py_npurt.h"

#include <errno.h>

typedef struct {
	PyObject_HEAD
	npurt_queue *queue;
	PyRuntime *rt;			/* strong reference */
	struct py_guard guard;
} PyQueue;

static const npurt_tensor_desc *queue_in(const void *q, unsigned int i)
{
	return npurt_queue_input(q, i);
}

static const npurt_tensor_desc *queue_out(const void *q, unsigned int i)
{
	return npurt_queue_output(q, i);
}

static PyObject *queue_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
	PyQueue *q = (PyQueue *)type->tp_alloc(type, 0);

	(void)args;
	(void)kw;
	if (q)
		py_guard_init(&q->guard);
	return (PyObject *)q;
}

static int queue_init(PyObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "runtime", "model", "worker_num",
				  "batch_size", "input_queue_size",
				  "output_queue_size", NULL };
	struct npurt_queue_opts o = { 0 };
	PyQueue *q = (PyQueue *)self;
	npurt_queue *queue = NULL;
	PyRuntime *rt;
	PyModel *m;
	int ret;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O!O!|IIII", kwlist,
					 &PyRuntime_Type, &rt, &PyModel_Type,
					 &m, &o.worker_num, &o.batch_size,
					 &o.input_queue_size,
					 &o.output_queue_size))
		return -1;
	if (q->queue) {
		PyErr_SetString(PyExc_RuntimeError, "Queue already created");
		return -1;
	}
	if (py_guard_enter(&rt->guard, "runtime"))
		return -1;
	Py_BEGIN_ALLOW_THREADS
	ret = npurt_queue_create(rt->rt, m->model, &o, &queue);
	Py_END_ALLOW_THREADS
	py_guard_leave(&rt->guard);
	if (ret) {
		py_raise(ret, "queue");
		return -1;
	}
	q->queue = queue;
	Py_INCREF(rt);
	q->rt = rt;
	py_runtime_child(rt, 1);
	return 0;
}

static void queue_close_now(PyQueue *q)
{
	npurt_queue *queue = q->queue;

	if (!queue)
		return;
	npurt_queue_close_recv(queue);	/* wakes blocked submit and recv */
	if (!py_guard_close(&q->guard))
		return;
	q->queue = NULL;
	Py_BEGIN_ALLOW_THREADS
	npurt_queue_destroy(queue);
	Py_END_ALLOW_THREADS
	py_runtime_child(q->rt, -1);
}

static PyObject *queue_close(PyObject *self, PyObject *unused)
{
	(void)unused;
	queue_close_now((PyQueue *)self);
	Py_RETURN_NONE;
}

static void queue_dealloc(PyObject *self)
{
	PyQueue *q = (PyQueue *)self;

	queue_close_now(q);
	Py_XDECREF(q->rt);
	py_guard_destroy(&q->guard);
	Py_TYPE(self)->tp_free(self);
}

static PyObject *queue_close_submit(PyObject *self, PyObject *unused)
{
	PyQueue *q = (PyQueue *)self;

	(void)unused;
	if (py_guard_enter(&q->guard, "queue"))
		return NULL;
	npurt_queue_close_submit(q->queue);
	py_guard_leave(&q->guard);
	Py_RETURN_NONE;
}

/* submit(inputs, context: int > 0) */
static PyObject *queue_submit(PyObject *self, PyObject *args)
{
	PyQueue *q = (PyQueue *)self;
	unsigned long long ctx;
	npurt_tensor **t = NULL;
	Py_buffer *v = NULL;
	PyObject *ins;
	unsigned int n;
	int ret;

	if (!PyArg_ParseTuple(args, "OK", &ins, &ctx))
		return NULL;
	if (!ctx || ctx > UINTPTR_MAX) {
		PyErr_SetString(PyExc_ValueError, "context id out of range");
		return NULL;
	}
	if (py_guard_enter(&q->guard, "queue"))
		return NULL;
	n = npurt_queue_input_count(q->queue);
	if (!py_tensors_wrap(ins, n, queue_in, q->queue, false, "input", &t,
			     &v)) {
		Py_BEGIN_ALLOW_THREADS
		ret = npurt_queue_submit(q->queue, t,
					 (void *)(uintptr_t)ctx);
		Py_END_ALLOW_THREADS
		if (ret)
			py_raise(ret, "submit");
		py_tensors_release(n, t, v);
	}
	py_guard_leave(&q->guard);
	if (PyErr_Occurred())
		return NULL;
	Py_RETURN_NONE;
}

/* recv(outputs, timeout_ms: int, -1 forever) -> context. A failed run
 * raises its error with the attribute context_id. */
static PyObject *queue_recv(PyObject *self, PyObject *args)
{
	PyQueue *q = (PyQueue *)self;
	PyObject *outs, *res = NULL;
	npurt_tensor **t = NULL;
	Py_buffer *v = NULL;
	void *ctx = NULL;
	unsigned int n;
	int timeout_ms, ret;

	if (!PyArg_ParseTuple(args, "Oi", &outs, &timeout_ms))
		return NULL;
	if (py_guard_enter(&q->guard, "queue"))
		return NULL;
	n = npurt_queue_output_count(q->queue);
	if (py_tensors_wrap(outs, n, queue_out, q->queue, true, "output", &t,
			    &v))
		goto out;
	Py_BEGIN_ALLOW_THREADS
	ret = npurt_queue_recv(q->queue, &ctx, t, timeout_ms);
	Py_END_ALLOW_THREADS
	py_tensors_release(n, t, v);
	if (!ret) {
		res = PyLong_FromUnsignedLongLong((uintptr_t)ctx);
	} else {
		PyObject *type, *value, *tb;

		py_raise(ret, ctx ? "run" : "recv");
		if (ctx) {	/* a failed run: say which */
			PyErr_Fetch(&type, &value, &tb);
			PyErr_NormalizeException(&type, &value, &tb);
			if (value) {
				PyObject *id = PyLong_FromUnsignedLongLong(
					(uintptr_t)ctx);

				if (id)
					PyObject_SetAttrString(value,
							       "context_id", id);
				Py_XDECREF(id);
			}
			PyErr_Restore(type, value, tb);
		}
	}
out:
	py_guard_leave(&q->guard);
	return res;
}

static PyObject *queue_fileno(PyObject *self, PyObject *unused)
{
	PyQueue *q = (PyQueue *)self;
	int fd;

	(void)unused;
	if (py_guard_enter(&q->guard, "queue"))
		return NULL;
	fd = npurt_queue_fd(q->queue);
	py_guard_leave(&q->guard);
	return PyLong_FromLong(fd);
}

static PyObject *queue_descs(PyObject *self, bool out)
{
	PyQueue *q = (PyQueue *)self;
	PyObject *list;
	unsigned int i, n;

	if (py_guard_enter(&q->guard, "queue"))
		return NULL;
	n = out ? npurt_queue_output_count(q->queue) :
	    npurt_queue_input_count(q->queue);
	list = PyList_New(n);
	for (i = 0; list && i < n; i++) {
		PyObject *t = py_desc_tuple(out ? queue_out(q->queue, i) :
					    queue_in(q->queue, i));

		if (!t) {
			Py_CLEAR(list);
			break;
		}
		PyList_SET_ITEM(list, i, t);
	}
	py_guard_leave(&q->guard);
	return list;
}

static PyObject *queue_inputs(PyObject *self, PyObject *unused)
{
	(void)unused;
	return queue_descs(self, false);
}

static PyObject *queue_outputs(PyObject *self, PyObject *unused)
{
	(void)unused;
	return queue_descs(self, true);
}

static PyMethodDef queue_methods[] = {
	{ "submit", queue_submit, METH_VARARGS,
	  "submit(inputs, context_id): queue one run (inputs are copied); "
	  "blocks while the input queue is full." },
	{ "recv", queue_recv, METH_VARARGS,
	  "recv(outputs, timeout_ms) -> context_id of a finished run." },
	{ "fileno", queue_fileno, METH_NOARGS,
	  "fileno() -> fd readable while recv would not block." },
	{ "close_submit", queue_close_submit, METH_NOARGS,
	  "close_submit(): no more submits; recv drains, then ends." },
	{ "close", queue_close, METH_NOARGS,
	  "close(): cancel waiting runs, wake blocked callers, free." },
	{ "inputs", queue_inputs, METH_NOARGS, "inputs() -> descriptions" },
	{ "outputs", queue_outputs, METH_NOARGS,
	  "outputs() -> descriptions" },
	{ NULL, NULL, 0, NULL },
};

PyTypeObject PyQueue_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "npurt._npurt.Queue",
	.tp_basicsize = sizeof(PyQueue),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Queue(runtime, model, worker_num=0, batch_size=0, "
		  "input_queue_size=0, output_queue_size=0)",
	.tp_new = queue_new,
	.tp_init = queue_init,
	.tp_dealloc = queue_dealloc,
	.tp_methods = queue_methods,
};
