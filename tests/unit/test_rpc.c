// SPDX-License-Identifier: MIT
/*
 * test_rpc.c - the gRPC layer of npu-device-plugin and the fake kubelet
 * (tools/npu-device-plugin/rpc.c) in one process on a unix socket, under
 * ASan and UBSan: unary answers and errors with their exact status, unknown
 * methods, requests that do not decode, answers too large, server streams
 * that end or that the client cancels, a server stopped under a live
 * stream (socket removed, callbacks run once), an absent server.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "deviceplugin.pb-c.h"
#include "rpc.h"

static struct rpc_loop loop;
static struct rpc_server *srv;
static grpc_channel *ch;
static char dir[64], sock[96];

/* ---- the server's methods ---- */

static unsigned int closes;		/* on_close callbacks run */
static struct rpc_call *held;		/* the /t.T/Hold stream */

/* Allocate-shaped echo: one answer per container, its first ID as env. */
static void m_unary(struct rpc_call *call, const ProtobufCMessage *req,
		    void *ctx)
{
	const V1beta1__AllocateRequest *in = (const V1beta1__AllocateRequest *)req;
	V1beta1__AllocateResponse resp = V1BETA1__ALLOCATE_RESPONSE__INIT;
	V1beta1__ContainerAllocateResponse cr[4], *crp[4];
	V1beta1__ContainerAllocateResponse__EnvsEntry env[4], *envp[4];
	size_t i;

	assert_ptr_equal(ctx, &loop);
	for (i = 0; i < in->n_container_requests && i < 4; i++) {
		v1beta1__container_allocate_response__init(&cr[i]);
		v1beta1__container_allocate_response__envs_entry__init(&env[i]);
		env[i].key = "FIRST";
		env[i].value = in->container_requests[i]->n_devices_ids ?
			       in->container_requests[i]->devices_ids[0] : "";
		envp[i] = &env[i];
		cr[i].n_envs = 1;
		cr[i].envs = &envp[i];
		crp[i] = &cr[i];
	}
	resp.n_container_responses = i;
	resp.container_responses = crp;
	rpc_call_reply(call, &resp.base);
}

static void m_fail(struct rpc_call *call, const ProtobufCMessage *req,
		   void *ctx)
{
	(void)req;
	(void)ctx;
	rpc_call_fail(call, GRPC_STATUS_NOT_FOUND, "nothing at %d", 7);
}

static void m_big(struct rpc_call *call, const ProtobufCMessage *req,
		  void *ctx)
{
	V1beta1__Device dev = V1BETA1__DEVICE__INIT, *devp = &dev;
	V1beta1__ListAndWatchResponse resp = V1BETA1__LIST_AND_WATCH_RESPONSE__INIT;
	char *id = malloc(RPC_MAX_MESSAGE + 1);

	(void)req;
	(void)ctx;
	assert_non_null(id);
	memset(id, 'x', RPC_MAX_MESSAGE);
	id[RPC_MAX_MESSAGE] = '\0';
	dev.id = id;
	resp.n_devices = 1;
	resp.devices = &devp;
	rpc_call_reply(call, &resp.base);
	free(id);
}

static void list_of(V1beta1__ListAndWatchResponse *resp, V1beta1__Device *d,
		    V1beta1__Device **dp, size_t n, const char *const *ids)
{
	size_t i;

	v1beta1__list_and_watch_response__init(resp);
	for (i = 0; i < n; i++) {
		v1beta1__device__init(&d[i]);
		d[i].id = (char *)ids[i];
		d[i].health = "Healthy";
		dp[i] = &d[i];
	}
	resp->n_devices = n;
	resp->devices = dp;
}

/* Three lists, 1, 2 and 3 devices long, then status OK. */
static void m_stream(struct rpc_call *call, const ProtobufCMessage *req,
		     void *ctx)
{
	static const char *const ids[] = { "a", "b", "c" };
	V1beta1__ListAndWatchResponse resp;
	V1beta1__Device d[3], *dp[3];
	size_t n;

	(void)req;
	(void)ctx;
	for (n = 1; n <= 3; n++) {
		list_of(&resp, d, dp, n, ids);
		assert_int_equal(rpc_call_send(call, &resp.base), 0);
	}
	rpc_call_end(call, GRPC_STATUS_OK, NULL);
	/* Ended: no more sending. */
	assert_int_equal(rpc_call_send(call, &resp.base), -EPIPE);
}

static void hold_closed(struct rpc_call *call, void *ctx)
{
	assert_ptr_equal(call, held);
	assert_ptr_equal(ctx, &held);
	held = NULL;
	closes++;
}

/* One list, then the stream stays open until the client leaves. */
static void m_hold(struct rpc_call *call, const ProtobufCMessage *req,
		   void *ctx)
{
	static const char *const ids[] = { "held" };
	V1beta1__ListAndWatchResponse resp;
	V1beta1__Device d[1], *dp[1];

	(void)req;
	(void)ctx;
	held = call;
	rpc_call_on_close(call, hold_closed, &held);
	list_of(&resp, d, dp, 1, ids);
	assert_int_equal(rpc_call_send(call, &resp.base), 0);
}

static const struct rpc_method methods[] = {
	{ "/t.T/Unary", &v1beta1__allocate_request__descriptor, m_unary },
	{ "/t.T/Fail", &v1beta1__empty__descriptor, m_fail },
	{ "/t.T/Big", &v1beta1__empty__descriptor, m_big },
	{ "/t.T/Stream", &v1beta1__empty__descriptor, m_stream },
	{ "/t.T/Hold", &v1beta1__empty__descriptor, m_hold },
};

/* ---- the client's side ---- */

struct outcome {
	bool done;
	grpc_status_code status;
	char details[256];
	char first[64];			/* unary: env FIRST of container 0 */
	size_t containers;
	unsigned int msgs;		/* streams: messages received */
	size_t last_len;		/* ... devices in the last one */
};

static void on_reply(void *ctx, grpc_status_code status, const char *details,
		     const ProtobufCMessage *resp)
{
	struct outcome *o = ctx;

	assert_false(o->done);
	o->done = true;
	o->status = status;
	snprintf(o->details, sizeof(o->details), "%s", details);
	if (resp && resp->descriptor == &v1beta1__allocate_response__descriptor) {
		const V1beta1__AllocateResponse *a =
			(const V1beta1__AllocateResponse *)resp;

		o->containers = a->n_container_responses;
		if (a->n_container_responses)
			snprintf(o->first, sizeof(o->first), "%s",
				 a->container_responses[0]->envs[0]->value);
	}
}

static void on_msg(void *ctx, const ProtobufCMessage *msg)
{
	struct outcome *o = ctx;

	o->msgs++;
	o->last_len = ((const V1beta1__ListAndWatchResponse *)msg)->n_devices;
}

/* Runs the loop until @flag is true (10 s at most). */
static void run_until(const bool *flag)
{
	int i;

	for (i = 0; i < 1000 && !*flag; i++)
		rpc_loop_run(&loop, 10);
	assert_true(*flag);
}

static void unary(const char *path, const ProtobufCMessage *req,
		  const ProtobufCMessageDescriptor *desc, struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	assert_int_equal(rpc_unary_start(&loop, ch, path, req, desc, 5000,
					 on_reply, o), 0);
	run_until(&o->done);
}

/* ---- fixture ---- */

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_rpc.XXXXXX");
	if (!mkdtemp(dir) || rpc_loop_init(&loop) < 0)
		return -1;
	snprintf(sock, sizeof(sock), "%s/t.sock", dir);
	if (rpc_server_start(&loop, sock, methods,
			     sizeof(methods) / sizeof(methods[0]), &loop,
			     &srv) < 0)
		return -1;
	ch = rpc_channel_open(sock);
	closes = 0;
	held = NULL;
	return ch ? 0 : -1;
}

static bool stopped;

static void on_stopped(void *ctx)
{
	assert_ptr_equal(ctx, &stopped);
	stopped = true;
}

static int teardown(void **state)
{
	(void)state;
	grpc_channel_destroy(ch);
	if (srv) {
		stopped = false;
		rpc_server_stop(srv, on_stopped, &stopped);
		run_until(&stopped);
		srv = NULL;
	}
	rpc_loop_destroy(&loop);
	rmdir(dir);
	return 0;
}

/* ---- tests ---- */

static void test_unary(void **state)
{
	V1beta1__AllocateRequest req = V1BETA1__ALLOCATE_REQUEST__INIT;
	V1beta1__ContainerAllocateRequest c0 =
		V1BETA1__CONTAINER_ALLOCATE_REQUEST__INIT, c1 = c0;
	V1beta1__ContainerAllocateRequest *cp[2] = { &c0, &c1 };
	char *ids[] = { "npu0pe1", "npu0pe0" };
	struct outcome o;
	int i;

	(void)state;
	c0.n_devices_ids = 2;
	c0.devices_ids = ids;
	req.n_container_requests = 2;
	req.container_requests = cp;
	for (i = 0; i < 3; i++) {	/* calls one after another */
		unary("/t.T/Unary", &req.base,
		      &v1beta1__allocate_response__descriptor, &o);
		assert_int_equal(o.status, GRPC_STATUS_OK);
		assert_string_equal(o.details, "");
		assert_int_equal(o.containers, 2);
		assert_string_equal(o.first, "npu0pe1");
	}
}

static void test_errors(void **state)
{
	V1beta1__DevicePluginOptions wrong = V1BETA1__DEVICE_PLUGIN_OPTIONS__INIT;
	V1beta1__Empty empty = V1BETA1__EMPTY__INIT;
	grpc_channel *nowhere;
	char path[128];
	struct outcome o;

	(void)state;
	unary("/t.T/Fail", &empty.base, &v1beta1__empty__descriptor, &o);
	assert_int_equal(o.status, GRPC_STATUS_NOT_FOUND);
	assert_string_equal(o.details, "nothing at 7");
	unary("/t.T/Nope", &empty.base, &v1beta1__empty__descriptor, &o);
	assert_int_equal(o.status, GRPC_STATUS_UNIMPLEMENTED);
	assert_string_equal(o.details, "unknown method /t.T/Nope");
	/* Field 1 as a varint where AllocateRequest has a message. */
	wrong.pre_start_required = 1;
	unary("/t.T/Unary", &wrong.base,
	      &v1beta1__allocate_response__descriptor, &o);
	assert_int_equal(o.status, GRPC_STATUS_INVALID_ARGUMENT);
	assert_string_equal(o.details,
			    "/t.T/Unary: the request does not decode as v1beta1.AllocateRequest");
	unary("/t.T/Big", &empty.base,
	      &v1beta1__list_and_watch_response__descriptor, &o);
	assert_int_equal(o.status, GRPC_STATUS_RESOURCE_EXHAUSTED);
	assert_string_equal(o.details,
			    "/t.T/Big: the answer does not fit in 4194304 bytes");
	/* Nobody there. */
	snprintf(path, sizeof(path), "%s/absent.sock", dir);
	nowhere = rpc_channel_open(path);
	assert_non_null(nowhere);
	memset(&o, 0, sizeof(o));
	assert_int_equal(rpc_unary_start(&loop, nowhere, "/t.T/Unary",
					 &empty.base,
					 &v1beta1__empty__descriptor, 2000,
					 on_reply, &o), 0);
	run_until(&o.done);
	assert_int_equal(o.status, GRPC_STATUS_UNAVAILABLE);
	grpc_channel_destroy(nowhere);
	/* The server still answers. */
	unary("/t.T/Fail", &empty.base, &v1beta1__empty__descriptor, &o);
	assert_int_equal(o.status, GRPC_STATUS_NOT_FOUND);
}

static void test_stream(void **state)
{
	V1beta1__Empty empty = V1BETA1__EMPTY__INIT;
	struct rpc_stream *s;
	struct outcome o = { 0 };

	(void)state;
	assert_int_equal(rpc_stream_start(&loop, ch, "/t.T/Stream",
					  &empty.base,
					  &v1beta1__list_and_watch_response__descriptor,
					  on_msg, on_reply, &o, &s), 0);
	assert_non_null(s);
	run_until(&o.done);
	assert_int_equal(o.status, GRPC_STATUS_OK);
	assert_int_equal(o.msgs, 3);
	assert_int_equal(o.last_len, 3);
	assert_int_equal(closes, 0);
}

static bool got_one(const struct outcome *o)
{
	return o->msgs >= 1;
}

static void test_cancel(void **state)
{
	V1beta1__Empty empty = V1BETA1__EMPTY__INIT;
	struct rpc_stream *s;
	struct outcome o = { 0 };
	bool one = false;
	int i;

	(void)state;
	assert_int_equal(rpc_stream_start(&loop, ch, "/t.T/Hold", &empty.base,
					  &v1beta1__list_and_watch_response__descriptor,
					  on_msg, on_reply, &o, &s), 0);
	for (i = 0; i < 1000 && !(one = got_one(&o)); i++)
		rpc_loop_run(&loop, 10);
	assert_true(one);
	assert_non_null(held);
	assert_false(o.done);
	rpc_stream_cancel(s);
	run_until(&o.done);
	assert_int_equal(o.status, GRPC_STATUS_CANCELLED);
	for (i = 0; i < 1000 && held; i++)
		rpc_loop_run(&loop, 10);
	assert_null(held);
	assert_int_equal(closes, 1);
}

static void test_stop_under_stream(void **state)
{
	V1beta1__Empty empty = V1BETA1__EMPTY__INIT;
	struct outcome o = { 0 };
	bool one = false;
	int i;

	(void)state;
	assert_int_equal(rpc_stream_start(&loop, ch, "/t.T/Hold", &empty.base,
					  &v1beta1__list_and_watch_response__descriptor,
					  on_msg, on_reply, &o, NULL), 0);
	for (i = 0; i < 1000 && !(one = got_one(&o)); i++)
		rpc_loop_run(&loop, 10);
	assert_true(one);
	stopped = false;
	rpc_server_stop(srv, on_stopped, &stopped);
	rpc_server_stop(srv, on_stopped, &stopped);	/* only once */
	srv = NULL;
	assert_int_equal(access(sock, F_OK), -1);
	run_until(&stopped);
	run_until(&o.done);
	assert_int_not_equal(o.status, GRPC_STATUS_OK);
	assert_null(held);
	assert_int_equal(closes, 1);
	/* Serving again on the same path. */
	assert_int_equal(rpc_server_start(&loop, sock, methods,
					  sizeof(methods) / sizeof(methods[0]),
					  &loop, &srv), 0);
	grpc_channel_destroy(ch);
	ch = rpc_channel_open(sock);
	unary("/t.T/Fail", &empty.base, &v1beta1__empty__descriptor, &o);
	assert_int_equal(o.status, GRPC_STATUS_NOT_FOUND);
}

static void test_bad_path(void **state)
{
	char longpath[200];
	struct rpc_server *s;

	(void)state;
	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(rpc_server_start(&loop, longpath, methods, 1, NULL,
					  &s), -EINVAL);
	assert_null(s);
	assert_int_equal(rpc_server_start(&loop, "/nonexistent/dir/x.sock",
					  methods, 1, NULL, &s), -EADDRINUSE);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_under_stream, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_path, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
