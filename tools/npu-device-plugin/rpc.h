/* SPDX-License-Identifier: MIT */
/*
 * rpc.h - a small layer over gRPC's C core (libgrpc) for unix-socket
 * servers and clients of unary and server-streaming methods, with messages
 * as protobuf-c structs. Shared by npu-device-plugin and the test suite's
 * fake kubelet (tests/k8s/fake_kubelet.c).
 *
 * Everything is asynchronous on one completion queue (struct rpc_loop):
 * rpc_loop_run() waits for completions and runs their callbacks, one at a
 * time, on the calling thread. No callback blocks; none of these functions
 * may be called from another thread than the loop's.
 */
#ifndef NPU_RPC_H
#define NPU_RPC_H

#include <stdbool.h>
#include <stddef.h>

#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>

/* Requests and responses above this size are refused (gRPC's default). */
#define RPC_MAX_MESSAGE	(4u << 20)

/* A pending completion: gRPC hands the tag back and rpc_loop_run() calls
 * fn with the completion's success bit. */
struct rpc_tag {
	void (*fn)(struct rpc_tag *tag, bool ok);
};

struct rpc_loop {
	grpc_completion_queue *cq;
};

/* grpc_init() plus the loop's completion queue. Return: 0 or -ENOMEM. */
int rpc_loop_init(struct rpc_loop *loop);
/*
 * Waits up to @timeout_ms (-1: forever) for one completion and runs its
 * callback. Return: 1 a callback ran, 0 timeout.
 */
int rpc_loop_run(struct rpc_loop *loop, int timeout_ms);
/*
 * Shuts the queue down and drains it (every server and call must already
 * be finished), then grpc_shutdown().
 */
void rpc_loop_destroy(struct rpc_loop *loop);

/* ---- servers ---- */

struct rpc_server;
struct rpc_call;

/* One method a server answers: its full path and request type. */
struct rpc_method {
	const char *path;		/* "/package.Service/Method" */
	const ProtobufCMessageDescriptor *request;
	/*
	 * Called with the unpacked request (freed after the call returns);
	 * must end the call with rpc_call_reply() or rpc_call_fail(), now or
	 * later, or keep it as a stream (rpc_call_send(), rpc_call_end()).
	 */
	void (*handle)(struct rpc_call *call, const ProtobufCMessage *req,
		       void *ctx);
};

/*
 * Listens on the unix socket @path (an old socket file there is removed)
 * and serves @methods (an array of @n, kept by the caller) with @ctx.
 * Return: 0, -EINVAL (path too long), -EADDRINUSE (cannot listen), -ENOMEM.
 */
int rpc_server_start(struct rpc_loop *loop, const char *path,
		     const struct rpc_method *methods, size_t n, void *ctx,
		     struct rpc_server **out);
/*
 * Stops accepting calls, cancels the ones in progress (their close
 * callbacks run), removes the socket file and, once gRPC is done with the
 * server, calls @done(@done_ctx) and frees it. @done may be NULL.
 */
void rpc_server_stop(struct rpc_server *srv, void (*done)(void *),
		     void *done_ctx);
const char *rpc_server_path(const struct rpc_server *srv);

/* Unary answer: @resp, then status OK. Ends the call. */
void rpc_call_reply(struct rpc_call *call, const ProtobufCMessage *resp);
/* Error answer: status @code with a formatted message. Ends the call. */
void rpc_call_fail(struct rpc_call *call, grpc_status_code code,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * Server streaming: queue @msg (packed now) behind the messages not yet
 * sent. Return: 0, -EPIPE (the client went away or the call ended),
 * -ENOMEM, -EMSGSIZE.
 */
int rpc_call_send(struct rpc_call *call, const ProtobufCMessage *msg);
/*
 * @fn(@call, @ctx) runs once when the client goes away (cancel, disconnect,
 * server stop) before the call has ended; after it the call must not be
 * used. Set it in the method's handler to keep the call as a stream.
 */
void rpc_call_on_close(struct rpc_call *call,
		       void (*fn)(struct rpc_call *call, void *ctx),
		       void *ctx);
/* Ends a stream with status @code after the queued messages. */
void rpc_call_end(struct rpc_call *call, grpc_status_code code,
		  const char *details);
/* The call's method path, for logs. */
const char *rpc_call_method(const struct rpc_call *call);

/* ---- clients ---- */

/* A channel to the unix socket @path. Return: NULL on -ENOMEM. */
grpc_channel *rpc_channel_open(const char *path);

/*
 * Called once with the outcome of a unary call or the end of a stream:
 * @status GRPC_STATUS_OK with @resp (unary; freed after the callback), or an
 * error with @details ("" when the peer gave none).
 */
typedef void (*rpc_reply_fn)(void *ctx, grpc_status_code status,
			     const char *details, const ProtobufCMessage *resp);
/* Called for each message of a stream (freed after the callback). */
typedef void (*rpc_msg_fn)(void *ctx, const ProtobufCMessage *msg);

/*
 * Starts the unary call @path(@req) on @ch with a deadline @timeout_ms from
 * now; @done runs from rpc_loop_run(). Return: 0 or -ENOMEM (then @done
 * is not called).
 */
int rpc_unary_start(struct rpc_loop *loop, grpc_channel *ch, const char *path,
		    const ProtobufCMessage *req,
		    const ProtobufCMessageDescriptor *resp_desc,
		    int timeout_ms, rpc_reply_fn done, void *ctx);

struct rpc_stream;
/*
 * Starts the server-streaming call @path(@req) on @ch without deadline:
 * @on_msg for each message, then @on_end (resp NULL) once. @out (may be
 * NULL) receives a handle for rpc_stream_cancel(), valid until @on_end.
 * Return: 0 or -ENOMEM (then no callback runs).
 */
int rpc_stream_start(struct rpc_loop *loop, grpc_channel *ch, const char *path,
		     const ProtobufCMessage *req,
		     const ProtobufCMessageDescriptor *msg_desc,
		     rpc_msg_fn on_msg, rpc_reply_fn on_end, void *ctx,
		     struct rpc_stream **out);
/* Cancels a stream; its @on_end still runs (GRPC_STATUS_CANCELLED). */
void rpc_stream_cancel(struct rpc_stream *s);

#endif /* NPU_RPC_H */
