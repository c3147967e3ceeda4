/* SPDX-License-Identifier: MIT */
/*
 * fake_kubelet.h - the part of the kubelet a device plugin talks to, for
 * tests: the Registration service on kubelet.sock in a folder of our
 * choosing, which (as the kubelet's device manager does) checks the
 * request, connects back to the plugin's socket, asks its options, answers,
 * then follows its ListAndWatch stream; plus calls to the plugin's other
 * methods and a kubelet restart (the folder's sockets removed, kubelet.sock
 * made anew).
 *
 * Single-threaded: nothing happens unless the test waits (fk_wait) or
 * calls (fk_call), which run the event loop meanwhile.
 */
#ifndef NPU_FAKE_KUBELET_H
#define NPU_FAKE_KUBELET_H

#include <stdbool.h>
#include <stddef.h>

#include "deviceplugin.pb-c.h"
#include "rpc.h"

#define FK_MAX_RESOURCES	4
#define FK_MAX_DEVICES		64

struct fk_device {
	char id[64];
	bool healthy;
	long long numa;			/* -1: no topology */
};

/* What the kubelet knows of one registered resource. */
struct fk_resource {
	char name[64];
	char endpoint[64];
	char version[16];
	bool opt_preferred;		/* from the plugin's options */
	bool opt_prestart;
	unsigned int registrations;	/* accepted Register calls */
	grpc_channel *ch;
	struct rpc_stream *stream;	/* ListAndWatch, NULL once ended */
	unsigned int stream_gen;
	unsigned int updates;		/* ListAndWatch messages received */
	size_t num_devices;		/* of the last message */
	struct fk_device devices[FK_MAX_DEVICES];
};

struct fk {
	struct rpc_loop loop;
	char dir[256];
	char sock[300];
	struct rpc_server *srv;
	bool stopping;
	struct fk_resource res[FK_MAX_RESOURCES];
	size_t num_res;
	unsigned int rejected;		/* Register calls refused */
	char last_reject[320];
};

/* Serves Registration on DIR/kubelet.sock; @fk is zeroed before the first
 * start. Return: 0 or -errno. */
int fk_start(struct fk *fk, const char *dir);
/* Stops like a kubelet that exits: server, streams and channels closed. */
void fk_stop(struct fk *fk);
/* fk_stop(), every socket of the folder removed (as the kubelet does when
 * it starts), then fk_start() again. Known resources are kept. */
int fk_restart(struct fk *fk);
/* fk_stop() and the loop destroyed. */
void fk_destroy(struct fk *fk);

/* Runs the loop until @pred(@fk, @arg) holds or @timeout_ms pass.
 * Return: whether it holds. */
bool fk_wait(struct fk *fk, bool (*pred)(struct fk *fk, void *arg),
	     void *arg, int timeout_ms);
/* Runs the loop for @ms. */
void fk_run_for(struct fk *fk, int ms);

/* The registered resource @name, or NULL. */
struct fk_resource *fk_resource(struct fk *fk, const char *name);

/*
 * Calls @path on the plugin of resource @name with @req and waits for the
 * answer. Return: the gRPC status (with @details, "" if none); on OK,
 * *@resp is the answer, to free with protobuf_c_message_free_unpacked().
 */
int fk_call(struct fk *fk, const char *name, const char *path,
	    const ProtobufCMessage *req,
	    const ProtobufCMessageDescriptor *resp_desc,
	    ProtobufCMessage **resp, char *details, size_t len);

#endif /* NPU_FAKE_KUBELET_H */
