/* SPDX-License-Identifier: MIT */
/*
 * py_npurt.h - what the parts of the extension module npurt._npurt share:
 * the object types (py_runtime.c: Runtime, Model, Cancel; py_runner.c:
 * Runner; py_queue.c: Queue), the close guard that lets close() wait for
 * calls in progress, and the error path into npurt._errors.
 */
#ifndef PY_NPURT_H
#define PY_NPURT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <pthread.h>
#include <stdbool.h>

#include <npurt.h>

/*
 * Objects whose methods release the GIL: a call "enters" the guard (with
 * the GIL held) and leaves it when done; close() marks the object closed
 * and waits, without the GIL, until no call is inside.
 */
struct py_guard {
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned int users;
	bool closed;
};

void py_guard_init(struct py_guard *g);
void py_guard_destroy(struct py_guard *g);
/* 0, or -1 with SessionClosed set (@what names the object). */
int py_guard_enter(struct py_guard *g, const char *what);
void py_guard_leave(struct py_guard *g);
/* Mark closed and wait for the calls inside (the GIL is released here).
 * Return: true the first time. */
bool py_guard_close(struct py_guard *g);

/* Raise the exception npurt._errors maps (-)@err to, with
 * npurt_last_error() as the detail; @op: "run", "recv", ... Return NULL. */
PyObject *py_raise(int err, const char *op);
/* The same with a detail message of our own. */
PyObject *py_raise_msg(int err, const char *op, const char *fmt, ...);

/* A tensor description as a tuple: (name, dtype, shape, layout, axes,
 * scale, zero_point, size). */
PyObject *py_desc_tuple(const npurt_tensor_desc *d);

/* Wrap Python buffers as tensors of @descs (count @n): inputs read-only,
 * outputs writable, C-contiguous, exactly the description's size. On
 * success *@tensors and *@views hold @n entries each (free with
 * py_tensors_release()). Return: 0, or -1 with an exception set. */
int py_tensors_wrap(PyObject *seq, unsigned int n,
		    const npurt_tensor_desc *(*desc)(const void *, unsigned int),
		    const void *owner, bool writable, const char *what,
		    npurt_tensor ***tensors, Py_buffer **views);
void py_tensors_release(unsigned int n, npurt_tensor **tensors,
			Py_buffer *views);

/* ---- types ---- */

typedef struct {
	PyObject_HEAD
	npurt_runtime *rt;
	struct py_guard guard;
	unsigned int children;		/* open runners and queues */
} PyRuntime;

typedef struct {
	PyObject_HEAD
	npurt_model *model;
} PyModel;

typedef struct {
	PyObject_HEAD
	npurt_cancel *cancel;
} PyCancel;

extern PyTypeObject PyRuntime_Type;
extern PyTypeObject PyModel_Type;
extern PyTypeObject PyCancel_Type;
extern PyTypeObject PyRunner_Type;
extern PyTypeObject PyQueue_Type;

/* A runner or queue was opened (+1) or closed (-1) on @rt. */
void py_runtime_child(PyRuntime *rt, int delta);

#endif /* PY_NPURT_H */
