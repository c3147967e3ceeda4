// SPDX-License-Identifier: MIT
/*
 * rpc.c - unix-socket gRPC servers and clients over the C core: batches of
 * operations on calls, completions dispatched through struct rpc_tag, and
 * protobuf-c packing. The life of each object is counted in the batches it
 * has in flight: it is freed when the last one completes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>

#include "rpc.h"

#define RPC_UNIX_PATH_MAX	(sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

static gpr_timespec deadline_ms(int ms)
{
	if (ms < 0)
		return gpr_inf_future(GPR_CLOCK_MONOTONIC);
	return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
			    gpr_time_from_millis(ms, GPR_TIMESPAN));
}

/* @msg packed into a new byte buffer; NULL when too large or out of memory. */
static grpc_byte_buffer *pack(const ProtobufCMessage *msg)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	grpc_byte_buffer *bb;
	grpc_slice s;

	if (len > RPC_MAX_MESSAGE)
		return NULL;
	s = grpc_slice_malloc(len);
	protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(s));
	bb = grpc_raw_byte_buffer_create(&s, 1);
	grpc_slice_unref(s);
	return bb;
}

/* @bb unpacked as @desc; NULL when it does not decode or is too large. */
static ProtobufCMessage *unpack(grpc_byte_buffer *bb,
				const ProtobufCMessageDescriptor *desc)
{
	grpc_byte_buffer_reader r;
	ProtobufCMessage *msg = NULL;
	grpc_slice s;

	if (!grpc_byte_buffer_reader_init(&r, bb))
		return NULL;
	s = grpc_byte_buffer_reader_readall(&r);
	grpc_byte_buffer_reader_destroy(&r);
	if (GRPC_SLICE_LENGTH(s) <= RPC_MAX_MESSAGE)
		msg = protobuf_c_message_unpack(desc, NULL, GRPC_SLICE_LENGTH(s),
						GRPC_SLICE_START_PTR(s));
	grpc_slice_unref(s);
	return msg;
}

/* A batch the code below built wrongly is a bug, not a runtime condition. */
static bool start_batch(grpc_call *call, const grpc_op *ops, size_t n,
			struct rpc_tag *tag)
{
	grpc_call_error err = grpc_call_start_batch(call, ops, n, tag, NULL);

	if (err != GRPC_CALL_OK) {
		fprintf(stderr, "rpc: grpc_call_start_batch: %s\n",
			grpc_call_error_to_string(err));
		return false;
	}
	return true;
}

/* ==== loop ==== */

int rpc_loop_init(struct rpc_loop *loop)
{
	grpc_init();
	loop->cq = grpc_completion_queue_create_for_next(NULL);
	if (!loop->cq) {
		grpc_shutdown();
		return -ENOMEM;
	}
	return 0;
}

int rpc_loop_run(struct rpc_loop *loop, int timeout_ms)
{
	grpc_event ev = grpc_completion_queue_next(loop->cq,
						   deadline_ms(timeout_ms),
						   NULL);
	struct rpc_tag *tag;

	if (ev.type != GRPC_OP_COMPLETE)
		return 0;
	tag = ev.tag;
	tag->fn(tag, ev.success != 0);
	return 1;
}

void rpc_loop_destroy(struct rpc_loop *loop)
{
	grpc_event ev;

	grpc_completion_queue_shutdown(loop->cq);
	do {
		ev = grpc_completion_queue_next(loop->cq,
						gpr_inf_future(GPR_CLOCK_MONOTONIC),
						NULL);
		if (ev.type == GRPC_OP_COMPLETE) {
			struct rpc_tag *tag = ev.tag;

			tag->fn(tag, ev.success != 0);
		}
	} while (ev.type != GRPC_QUEUE_SHUTDOWN);
	grpc_completion_queue_destroy(loop->cq);
	loop->cq = NULL;
	grpc_shutdown();
}

/* ==== servers ==== */

struct rpc_msgq {
	struct rpc_msgq *next;
	grpc_byte_buffer *bb;
};

struct rpc_server {
	struct rpc_loop *loop;
	grpc_server *server;
	char path[RPC_UNIX_PATH_MAX + 1];
	const struct rpc_method *methods;
	size_t num_methods;
	void *ctx;
	struct rpc_tag t_shutdown;
	bool stopping;
	unsigned int refs;	/* itself until shut down, + one per call */
	void (*done)(void *ctx);
	void *done_ctx;
};

struct rpc_call {
	struct rpc_server *srv;
	grpc_call *call;
	grpc_call_details details;
	grpc_metadata_array md;
	char method[128];
	const struct rpc_method *m;
	struct rpc_tag t_new, t_recv, t_send, t_close, t_status;
	grpc_byte_buffer *recv_bb;
	grpc_byte_buffer *send_bb;	/* SEND_MESSAGE in flight */
	grpc_byte_buffer *status_bb;	/* the unary answer */
	grpc_slice status_details;
	struct rpc_msgq *q_head, *q_tail;
	int cancelled;
	unsigned int ops;		/* batches in flight */
	bool started;			/* t_new completed with a call */
	bool ended;			/* status sent or queued, or given up */
	bool closed;			/* RECV_CLOSE_ON_SERVER completed */
	bool end_pending;		/* status waits for queued messages */
	grpc_status_code end_code;
	char *end_details;
	void (*on_close)(struct rpc_call *call, void *ctx);
	void *on_close_ctx;
};

static void server_unref(struct rpc_server *srv)
{
	if (--srv->refs)
		return;
	if (srv->done)
		srv->done(srv->done_ctx);
	free(srv);
}

static void msgq_free(struct rpc_call *c)
{
	while (c->q_head) {
		struct rpc_msgq *q = c->q_head;

		c->q_head = q->next;
		grpc_byte_buffer_destroy(q->bb);
		free(q);
	}
	c->q_tail = NULL;
}

static void call_maybe_free(struct rpc_call *c)
{
	if (c->ops || (c->started && !(c->closed && c->ended)))
		return;
	if (c->call)
		grpc_call_unref(c->call);
	grpc_call_details_destroy(&c->details);
	grpc_metadata_array_destroy(&c->md);
	msgq_free(c);
	free(c->end_details);
	server_unref(c->srv);
	free(c);
}

static void call_send_status(struct rpc_call *c, grpc_status_code code,
			     const char *details, grpc_byte_buffer *msg)
{
	grpc_op ops[2];
	size_t n = 0;

	memset(ops, 0, sizeof(ops));
	c->status_bb = msg;
	if (msg) {
		ops[n].op = GRPC_OP_SEND_MESSAGE;
		ops[n++].data.send_message.send_message = msg;
	}
	c->status_details = grpc_slice_from_copied_string(details ? details :
							  "");
	ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	ops[n].data.send_status_from_server.status = code;
	ops[n++].data.send_status_from_server.status_details =
		details && *details ? &c->status_details : NULL;
	if (start_batch(c->call, ops, n, &c->t_status)) {
		c->ops++;
		return;
	}
	if (msg)
		grpc_byte_buffer_destroy(msg);
	c->status_bb = NULL;
	grpc_slice_unref(c->status_details);
}

static void call_send_next(struct rpc_call *c)
{
	struct rpc_msgq *q = c->q_head;
	grpc_op op;

	if (!q) {
		if (c->end_pending) {
			c->end_pending = false;
			call_send_status(c, c->end_code, c->end_details, NULL);
		}
		return;
	}
	c->q_head = q->next;
	if (!c->q_head)
		c->q_tail = NULL;
	c->send_bb = q->bb;
	free(q);
	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_SEND_MESSAGE;
	op.data.send_message.send_message = c->send_bb;
	if (start_batch(c->call, &op, 1, &c->t_send)) {
		c->ops++;
	} else {
		grpc_byte_buffer_destroy(c->send_bb);
		c->send_bb = NULL;
	}
}

static void on_call_send(struct rpc_tag *tag, bool ok)
{
	struct rpc_call *c = (struct rpc_call *)((char *)tag -
		offsetof(struct rpc_call, t_send));

	c->ops--;
	grpc_byte_buffer_destroy(c->send_bb);
	c->send_bb = NULL;
	if (ok && !c->closed)
		call_send_next(c);
	else
		msgq_free(c);
	call_maybe_free(c);
}

static void on_call_status(struct rpc_tag *tag, bool ok)
{
	struct rpc_call *c = (struct rpc_call *)((char *)tag -
		offsetof(struct rpc_call, t_status));

	(void)ok;
	c->ops--;
	if (c->status_bb)
		grpc_byte_buffer_destroy(c->status_bb);
	c->status_bb = NULL;
	grpc_slice_unref(c->status_details);
	call_maybe_free(c);
}

static void on_call_close(struct rpc_tag *tag, bool ok)
{
	struct rpc_call *c = (struct rpc_call *)((char *)tag -
		offsetof(struct rpc_call, t_close));

	(void)ok;
	c->ops--;
	c->closed = true;
	if (!c->ended) {
		/* The client left first: the owner lets go of the call. */
		void (*fn)(struct rpc_call *, void *) = c->on_close;

		c->ended = true;
		c->on_close = NULL;
		msgq_free(c);
		if (fn)
			fn(c, c->on_close_ctx);
	}
	call_maybe_free(c);
}

static void on_call_recv(struct rpc_tag *tag, bool ok)
{
	struct rpc_call *c = (struct rpc_call *)((char *)tag -
		offsetof(struct rpc_call, t_recv));
	ProtobufCMessage *req = NULL;

	c->ops--;
	if (c->ended) {
		/* The client left before its request was read: no handler
		 * (it would keep a call that is already closed). */
	} else if (!c->m) {
		rpc_call_fail(c, GRPC_STATUS_UNIMPLEMENTED,
			      "unknown method %s", c->method);
	} else if (!ok || !c->recv_bb) {
		rpc_call_fail(c, GRPC_STATUS_INVALID_ARGUMENT,
			      "%s: no request message", c->method);
	} else {
		req = unpack(c->recv_bb, c->m->request);
		if (!req)
			rpc_call_fail(c, GRPC_STATUS_INVALID_ARGUMENT,
				      "%s: the request does not decode as %s",
				      c->method, c->m->request->name);
		else
			c->m->handle(c, req, c->srv->ctx);
	}
	if (c->recv_bb)
		grpc_byte_buffer_destroy(c->recv_bb);
	c->recv_bb = NULL;
	if (req)
		protobuf_c_message_free_unpacked(req, NULL);
	/* A handler that neither ended nor kept the call ends it here. */
	if (!c->ended && !c->on_close)
		rpc_call_fail(c, GRPC_STATUS_INTERNAL, "%s: no answer",
			      c->method);
	call_maybe_free(c);
}

static void server_request_call(struct rpc_server *srv);

static void on_call_new(struct rpc_tag *tag, bool ok)
{
	struct rpc_call *c = (struct rpc_call *)((char *)tag -
		offsetof(struct rpc_call, t_new));
	struct rpc_server *srv = c->srv;
	grpc_op ops[2];
	size_t i;

	c->ops--;
	if (!ok) {		/* the server is shutting down */
		call_maybe_free(c);
		return;
	}
	c->started = true;
	if (!srv->stopping)
		server_request_call(srv);
	snprintf(c->method, sizeof(c->method), "%.*s",
		 (int)GRPC_SLICE_LENGTH(c->details.method),
		 (const char *)GRPC_SLICE_START_PTR(c->details.method));
	for (i = 0; i < srv->num_methods; i++)
		if (!grpc_slice_str_cmp(c->details.method,
					srv->methods[i].path))
			c->m = &srv->methods[i];

	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_RECV_MESSAGE;
	ops[1].data.recv_message.recv_message = &c->recv_bb;
	if (start_batch(c->call, ops, 2, &c->t_recv))
		c->ops++;
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	ops[0].data.recv_close_on_server.cancelled = &c->cancelled;
	if (start_batch(c->call, ops, 1, &c->t_close))
		c->ops++;
	else
		c->closed = true;
	call_maybe_free(c);
}

static void server_request_call(struct rpc_server *srv)
{
	struct rpc_call *c = calloc(1, sizeof(*c));
	grpc_call_error err;

	if (!c) {
		fprintf(stderr, "rpc: out of memory; %s takes no more calls\n",
			srv->path);
		return;
	}
	c->srv = srv;
	srv->refs++;
	c->t_new.fn = on_call_new;
	c->t_recv.fn = on_call_recv;
	c->t_send.fn = on_call_send;
	c->t_close.fn = on_call_close;
	c->t_status.fn = on_call_status;
	grpc_call_details_init(&c->details);
	grpc_metadata_array_init(&c->md);
	err = grpc_server_request_call(srv->server, &c->call, &c->details,
				       &c->md, srv->loop->cq, srv->loop->cq,
				       &c->t_new);
	if (err != GRPC_CALL_OK) {
		fprintf(stderr, "rpc: grpc_server_request_call: %s\n",
			grpc_call_error_to_string(err));
		call_maybe_free(c);
		return;
	}
	c->ops++;
}

static void on_server_shutdown(struct rpc_tag *tag, bool ok)
{
	struct rpc_server *srv = (struct rpc_server *)((char *)tag -
		offsetof(struct rpc_server, t_shutdown));

	(void)ok;
	grpc_server_destroy(srv->server);
	srv->server = NULL;
	server_unref(srv);
}

/* Removes @path if it is a socket (never another kind of file). */
static void unlink_socket(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
}

int rpc_server_start(struct rpc_loop *loop, const char *path,
		     const struct rpc_method *methods, size_t n, void *ctx,
		     struct rpc_server **out)
{
	grpc_server_credentials *creds;
	struct rpc_server *srv;
	char addr[RPC_UNIX_PATH_MAX + 8];
	int port;

	*out = NULL;
	if (strlen(path) > RPC_UNIX_PATH_MAX)
		return -EINVAL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->loop = loop;
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	srv->methods = methods;
	srv->num_methods = n;
	srv->ctx = ctx;
	srv->refs = 1;
	srv->t_shutdown.fn = on_server_shutdown;
	srv->server = grpc_server_create(NULL, NULL);
	if (!srv->server) {
		free(srv);
		return -ENOMEM;
	}
	grpc_server_register_completion_queue(srv->server, loop->cq, NULL);
	unlink_socket(path);
	snprintf(addr, sizeof(addr), "unix:%s", path);
	creds = grpc_insecure_server_credentials_create();
	port = grpc_server_add_http2_port(srv->server, addr, creds);
	grpc_server_credentials_release(creds);
	if (!port) {
		grpc_server_destroy(srv->server);
		free(srv);
		return -EADDRINUSE;
	}
	grpc_server_start(srv->server);
	server_request_call(srv);
	*out = srv;
	return 0;
}

void rpc_server_stop(struct rpc_server *srv, void (*done)(void *),
		     void *done_ctx)
{
	if (srv->stopping)
		return;
	srv->stopping = true;
	srv->done = done;
	srv->done_ctx = done_ctx;
	grpc_server_shutdown_and_notify(srv->server, srv->loop->cq,
					&srv->t_shutdown);
	grpc_server_cancel_all_calls(srv->server);
	unlink_socket(srv->path);
}

const char *rpc_server_path(const struct rpc_server *srv)
{
	return srv->path;
}

void rpc_call_reply(struct rpc_call *c, const ProtobufCMessage *resp)
{
	grpc_byte_buffer *bb;

	if (c->ended)
		return;
	bb = pack(resp);
	if (!bb) {
		rpc_call_fail(c, GRPC_STATUS_RESOURCE_EXHAUSTED,
			      "%s: the answer does not fit in %u bytes",
			      c->method, RPC_MAX_MESSAGE);
		return;
	}
	c->ended = true;
	call_send_status(c, GRPC_STATUS_OK, NULL, bb);
}

void rpc_call_fail(struct rpc_call *c, grpc_status_code code,
		   const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (c->ended)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->ended = true;
	msgq_free(c);
	call_send_status(c, code, msg, NULL);
}

int rpc_call_send(struct rpc_call *c, const ProtobufCMessage *msg)
{
	struct rpc_msgq *q;

	if (c->ended || c->closed)
		return -EPIPE;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->bb = pack(msg);
	if (!q->bb) {
		free(q);
		return -EMSGSIZE;
	}
	if (c->q_tail)
		c->q_tail->next = q;
	else
		c->q_head = q;
	c->q_tail = q;
	if (!c->send_bb)
		call_send_next(c);
	return 0;
}

void rpc_call_on_close(struct rpc_call *c,
		       void (*fn)(struct rpc_call *c, void *ctx), void *ctx)
{
	c->on_close = fn;
	c->on_close_ctx = ctx;
}

void rpc_call_end(struct rpc_call *c, grpc_status_code code,
		  const char *details)
{
	if (c->ended)
		return;
	c->ended = true;
	c->on_close = NULL;
	if (c->send_bb || c->q_head) {
		c->end_pending = true;
		c->end_code = code;
		c->end_details = strdup(details ? details : "");
		return;
	}
	call_send_status(c, code, details, NULL);
}

const char *rpc_call_method(const struct rpc_call *c)
{
	return c->method;
}

/* ==== clients ==== */

grpc_channel *rpc_channel_open(const char *path)
{
	grpc_channel_credentials *creds = grpc_insecure_credentials_create();
	grpc_channel *ch;
	char *target;

	if (!creds)
		return NULL;
	target = malloc(strlen(path) + 6);
	if (!target) {
		grpc_channel_credentials_release(creds);
		return NULL;
	}
	sprintf(target, "unix:%s", path);
	ch = grpc_channel_create(target, creds, NULL);
	grpc_channel_credentials_release(creds);
	free(target);
	return ch;
}

/* State shared by unary calls and streams on the client side. */
struct rpc_client_call {
	grpc_call *call;
	grpc_byte_buffer *send_bb;
	grpc_byte_buffer *recv_bb;
	grpc_metadata_array md_initial;
	grpc_metadata_array md_trailing;
	grpc_status_code status;
	grpc_slice details;
	const ProtobufCMessageDescriptor *resp_desc;
	rpc_reply_fn done;
	void *ctx;
};

static int client_call_init(struct rpc_client_call *cc, struct rpc_loop *loop,
			    grpc_channel *ch, const char *path,
			    const ProtobufCMessage *req, int timeout_ms)
{
	grpc_slice method = grpc_slice_from_copied_string(path);

	cc->send_bb = pack(req);
	if (!cc->send_bb) {
		grpc_slice_unref(method);
		return -ENOMEM;
	}
	cc->call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS,
					    loop->cq, method, NULL,
					    deadline_ms(timeout_ms), NULL);
	grpc_slice_unref(method);
	if (!cc->call) {
		grpc_byte_buffer_destroy(cc->send_bb);
		return -ENOMEM;
	}
	grpc_metadata_array_init(&cc->md_initial);
	grpc_metadata_array_init(&cc->md_trailing);
	cc->details = grpc_empty_slice();
	return 0;
}

/* Runs the final callback with the status (and @resp), then cleans up. */
static void client_call_finish(struct rpc_client_call *cc,
			       const ProtobufCMessage *resp)
{
	char details[512];

	snprintf(details, sizeof(details), "%.*s",
		 (int)GRPC_SLICE_LENGTH(cc->details),
		 (const char *)GRPC_SLICE_START_PTR(cc->details));
	cc->done(cc->ctx, cc->status, details, resp);
	if (cc->send_bb)
		grpc_byte_buffer_destroy(cc->send_bb);
	if (cc->recv_bb)
		grpc_byte_buffer_destroy(cc->recv_bb);
	grpc_metadata_array_destroy(&cc->md_initial);
	grpc_metadata_array_destroy(&cc->md_trailing);
	grpc_slice_unref(cc->details);
	grpc_call_unref(cc->call);
}

struct rpc_unary {
	struct rpc_tag tag;
	struct rpc_client_call cc;
};

static void on_unary_done(struct rpc_tag *tag, bool ok)
{
	struct rpc_unary *u = (struct rpc_unary *)tag;
	ProtobufCMessage *resp = NULL;

	if (!ok) {
		u->cc.status = GRPC_STATUS_UNKNOWN;
	} else if (u->cc.status == GRPC_STATUS_OK) {
		resp = u->cc.recv_bb ? unpack(u->cc.recv_bb, u->cc.resp_desc) :
		       NULL;
		if (!resp) {
			u->cc.status = GRPC_STATUS_INTERNAL;
			grpc_slice_unref(u->cc.details);
			u->cc.details = grpc_slice_from_static_string(
				"the answer is missing or does not decode");
		}
	}
	client_call_finish(&u->cc, resp);
	if (resp)
		protobuf_c_message_free_unpacked(resp, NULL);
	free(u);
}

int rpc_unary_start(struct rpc_loop *loop, grpc_channel *ch, const char *path,
		    const ProtobufCMessage *req,
		    const ProtobufCMessageDescriptor *resp_desc,
		    int timeout_ms, rpc_reply_fn done, void *ctx)
{
	struct rpc_unary *u = calloc(1, sizeof(*u));
	grpc_op ops[6];

	if (!u)
		return -ENOMEM;
	if (client_call_init(&u->cc, loop, ch, path, req, timeout_ms)) {
		free(u);
		return -ENOMEM;
	}
	u->tag.fn = on_unary_done;
	u->cc.resp_desc = resp_desc;
	u->cc.done = done;
	u->cc.ctx = ctx;
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = u->cc.send_bb;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata =
		&u->cc.md_initial;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = &u->cc.recv_bb;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata =
		&u->cc.md_trailing;
	ops[5].data.recv_status_on_client.status = &u->cc.status;
	ops[5].data.recv_status_on_client.status_details = &u->cc.details;
	if (!start_batch(u->cc.call, ops, 6, &u->tag)) {
		/* Nothing is in flight: finish here, silently. */
		u->cc.done = NULL;
		grpc_byte_buffer_destroy(u->cc.send_bb);
		grpc_metadata_array_destroy(&u->cc.md_initial);
		grpc_metadata_array_destroy(&u->cc.md_trailing);
		grpc_call_unref(u->cc.call);
		free(u);
		return -ENOMEM;
	}
	return 0;
}

struct rpc_stream {
	struct rpc_tag t_start, t_msg, t_status;
	struct rpc_client_call cc;
	rpc_msg_fn on_msg;
	unsigned int ops;
};

static void stream_maybe_finish(struct rpc_stream *s)
{
	if (s->ops)
		return;
	client_call_finish(&s->cc, NULL);
	free(s);
}

static void stream_recv_next(struct rpc_stream *s)
{
	grpc_op op;

	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_RECV_MESSAGE;
	op.data.recv_message.recv_message = &s->cc.recv_bb;
	if (start_batch(s->cc.call, &op, 1, &s->t_msg))
		s->ops++;
}

static void on_stream_start(struct rpc_tag *tag, bool ok)
{
	struct rpc_stream *s = (struct rpc_stream *)((char *)tag -
		offsetof(struct rpc_stream, t_start));

	s->ops--;
	grpc_byte_buffer_destroy(s->cc.send_bb);
	s->cc.send_bb = NULL;
	if (ok)
		stream_recv_next(s);
	stream_maybe_finish(s);
}

static void on_stream_msg(struct rpc_tag *tag, bool ok)
{
	struct rpc_stream *s = (struct rpc_stream *)((char *)tag -
		offsetof(struct rpc_stream, t_msg));

	s->ops--;
	if (ok && s->cc.recv_bb) {
		ProtobufCMessage *msg = unpack(s->cc.recv_bb, s->cc.resp_desc);

		grpc_byte_buffer_destroy(s->cc.recv_bb);
		s->cc.recv_bb = NULL;
		if (msg) {
			s->on_msg(s->cc.ctx, msg);
			protobuf_c_message_free_unpacked(msg, NULL);
		} else {
			grpc_call_cancel_with_status(s->cc.call,
				GRPC_STATUS_INTERNAL,
				"a stream message does not decode", NULL);
		}
		stream_recv_next(s);
	}
	stream_maybe_finish(s);
}

static void on_stream_status(struct rpc_tag *tag, bool ok)
{
	struct rpc_stream *s = (struct rpc_stream *)((char *)tag -
		offsetof(struct rpc_stream, t_status));

	if (!ok)
		s->cc.status = GRPC_STATUS_UNKNOWN;
	s->ops--;
	stream_maybe_finish(s);
}

int rpc_stream_start(struct rpc_loop *loop, grpc_channel *ch, const char *path,
		     const ProtobufCMessage *req,
		     const ProtobufCMessageDescriptor *msg_desc,
		     rpc_msg_fn on_msg, rpc_reply_fn on_end, void *ctx,
		     struct rpc_stream **out)
{
	struct rpc_stream *s = calloc(1, sizeof(*s));
	grpc_op ops[4];

	if (out)
		*out = NULL;
	if (!s)
		return -ENOMEM;
	if (client_call_init(&s->cc, loop, ch, path, req, -1)) {
		free(s);
		return -ENOMEM;
	}
	s->t_start.fn = on_stream_start;
	s->t_msg.fn = on_stream_msg;
	s->t_status.fn = on_stream_status;
	s->cc.resp_desc = msg_desc;
	s->cc.done = on_end;
	s->cc.ctx = ctx;
	s->on_msg = on_msg;
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = s->cc.send_bb;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata =
		&s->cc.md_initial;
	if (start_batch(s->cc.call, ops, 4, &s->t_start))
		s->ops++;
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[0].data.recv_status_on_client.trailing_metadata =
		&s->cc.md_trailing;
	ops[0].data.recv_status_on_client.status = &s->cc.status;
	ops[0].data.recv_status_on_client.status_details = &s->cc.details;
	if (start_batch(s->cc.call, ops, 1, &s->t_status))
		s->ops++;
	if (!s->ops) {
		s->cc.status = GRPC_STATUS_INTERNAL;
		stream_maybe_finish(s);
		return 0;
	}
	if (out)
		*out = s;
	return 0;
}

void rpc_stream_cancel(struct rpc_stream *s)
{
	grpc_call_cancel(s->cc.call, NULL);
}
