// SPDX-License-Identifier: MIT
/*
 * fake_kubelet.c - a kubelet's device-manager side of the device-plugin API
 * v1beta1 for tests: Registration.Register (version and resource name
 * checked, the plugin dialled back and its options asked before the
 * answer), then ListAndWatch followed; synchronous calls for the tests.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fake_kubelet.h"

#define FK_OPTIONS_TIMEOUT_MS	10000	/* the kubelet dials for 10 s */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct fk_resource *fk_resource(struct fk *fk, const char *name)
{
	size_t i;

	for (i = 0; i < fk->num_res; i++)
		if (!strcmp(fk->res[i].name, name))
			return &fk->res[i];
	return NULL;
}

/* ---- ListAndWatch ---- */

/* A stream's tie to its resource: a newer stream (re-registration)
 * replaces it, and the old one's last callbacks must not touch it. */
struct fk_stream_ctx {
	struct fk_resource *r;
	unsigned int gen;
};

static void on_list(void *ctx, const ProtobufCMessage *msg)
{
	const V1beta1__ListAndWatchResponse *l =
		(const V1beta1__ListAndWatchResponse *)msg;
	struct fk_stream_ctx *sc = ctx;
	struct fk_resource *r = sc->r;
	size_t i;

	if (sc->gen != r->stream_gen)
		return;
	r->num_devices = 0;
	for (i = 0; i < l->n_devices && i < FK_MAX_DEVICES; i++) {
		struct fk_device *d = &r->devices[r->num_devices++];
		const V1beta1__Device *v = l->devices[i];

		snprintf(d->id, sizeof(d->id), "%s", v->id);
		d->healthy = !strcmp(v->health, "Healthy");
		d->numa = v->topology && v->topology->n_nodes ?
			  v->topology->nodes[0]->id : -1;
	}
	r->updates++;
}

static void on_list_end(void *ctx, grpc_status_code status,
			const char *details, const ProtobufCMessage *resp)
{
	struct fk_stream_ctx *sc = ctx;

	(void)status;
	(void)details;
	(void)resp;
	if (sc->gen == sc->r->stream_gen)
		sc->r->stream = NULL;
	free(sc);
}

static void disconnect(struct fk_resource *r)
{
	if (r->stream)
		rpc_stream_cancel(r->stream);
	r->stream = NULL;
	r->stream_gen++;
	if (r->ch)
		grpc_channel_destroy(r->ch);
	r->ch = NULL;
}

/* ---- Register ---- */

struct fk_pending {
	struct fk *fk;
	struct rpc_call *call;		/* NULL once the caller left */
	V1beta1__RegisterRequest *req;	/* our copy */
	grpc_channel *ch;
};

static void pending_free(struct fk_pending *p)
{
	if (p->req)
		v1beta1__register_request__free_unpacked(p->req, NULL);
	free(p);
}

static void pending_closed(struct rpc_call *call, void *ctx)
{
	struct fk_pending *p = ctx;

	(void)call;
	p->call = NULL;
}

static void reject(struct fk *fk, struct rpc_call *call, const char *msg)
{
	fk->rejected++;
	snprintf(fk->last_reject, sizeof(fk->last_reject), "%s", msg);
	rpc_call_fail(call, GRPC_STATUS_UNKNOWN, "%s", msg);
}

static void on_options(void *ctx, grpc_status_code status,
		       const char *details, const ProtobufCMessage *resp)
{
	const V1beta1__DevicePluginOptions *o =
		(const V1beta1__DevicePluginOptions *)resp;
	V1beta1__Empty empty = V1BETA1__EMPTY__INIT;
	struct fk_pending *p = ctx;
	struct fk *fk = p->fk;
	struct fk_stream_ctx *sc;
	struct fk_resource *r;
	char msg[300];

	if (!p->call) {			/* the plugin gave up */
		grpc_channel_destroy(p->ch);
		pending_free(p);
		return;
	}
	if (status != GRPC_STATUS_OK) {
		snprintf(msg, sizeof(msg),
			 "failed to get device plugin options: %s", details);
		reject(fk, p->call, msg);
		grpc_channel_destroy(p->ch);
		pending_free(p);
		return;
	}
	r = fk_resource(fk, p->req->resource_name);
	if (!r && fk->num_res < FK_MAX_RESOURCES) {
		r = &fk->res[fk->num_res++];
		memset(r, 0, sizeof(*r));
		snprintf(r->name, sizeof(r->name), "%s",
			 p->req->resource_name);
	}
	if (!r) {
		reject(fk, p->call, "too many resources");
		grpc_channel_destroy(p->ch);
		pending_free(p);
		return;
	}
	disconnect(r);			/* a plugin registering again */
	snprintf(r->endpoint, sizeof(r->endpoint), "%s", p->req->endpoint);
	snprintf(r->version, sizeof(r->version), "%s", p->req->version);
	r->opt_preferred = o->get_preferred_allocation_available;
	r->opt_prestart = o->pre_start_required;
	r->ch = p->ch;
	r->registrations++;
	rpc_call_reply(p->call, &empty.base);
	sc = calloc(1, sizeof(*sc));
	if (sc) {
		sc->r = r;
		sc->gen = r->stream_gen;
		if (rpc_stream_start(&fk->loop, r->ch,
				     "/v1beta1.DevicePlugin/ListAndWatch",
				     &empty.base,
				     &v1beta1__list_and_watch_response__descriptor,
				     on_list, on_list_end, sc, &r->stream) < 0) {
			r->stream = NULL;
			free(sc);
		}
	}
	pending_free(p);
}

/* A name the kubelet takes as an extended resource: "domain/name", the
 * domain not kubernetes.io's. */
static bool extended_resource(const char *name)
{
	const char *slash = strchr(name, '/');

	return slash && slash != name && slash[1] && !strchr(slash + 1, '/') &&
	       strncmp(name, "kubernetes.io/", 14) &&
	       strncmp(name, "requests.", 9);
}

static void do_register(struct rpc_call *call, const ProtobufCMessage *req,
			void *ctx)
{
	const V1beta1__RegisterRequest *in = (const V1beta1__RegisterRequest *)req;
	V1beta1__Empty empty = V1BETA1__EMPTY__INIT;
	struct fk *fk = ctx;
	struct fk_pending *p;
	uint8_t buf[1024];
	size_t len;
	char msg[300], path[600];

	if (strcmp(in->version, "v1beta1")) {
		snprintf(msg, sizeof(msg),
			 "requested device plugin API version %.32s is not supported by kubelet (v1beta1)",
			 in->version);
		reject(fk, call, msg);
		return;
	}
	if (!extended_resource(in->resource_name)) {
		snprintf(msg, sizeof(msg), "invalid resource name: %.64s",
			 in->resource_name);
		reject(fk, call, msg);
		return;
	}
	if (!in->endpoint[0] || strchr(in->endpoint, '/')) {
		reject(fk, call, "bad endpoint");
		return;
	}
	p = calloc(1, sizeof(*p));
	len = protobuf_c_message_get_packed_size(req);
	if (!p || len > sizeof(buf)) {
		free(p);
		reject(fk, call, "request too large");
		return;
	}
	protobuf_c_message_pack(req, buf);
	p->req = v1beta1__register_request__unpack(NULL, len, buf);
	snprintf(path, sizeof(path), "%s/%s", fk->dir, in->endpoint);
	p->ch = p->req ? rpc_channel_open(path) : NULL;
	p->fk = fk;
	p->call = call;
	if (!p->ch || rpc_unary_start(&fk->loop, p->ch,
				      "/v1beta1.DevicePlugin/GetDevicePluginOptions",
				      &empty.base,
				      &v1beta1__device_plugin_options__descriptor,
				      FK_OPTIONS_TIMEOUT_MS, on_options, p) < 0) {
		if (p->ch)
			grpc_channel_destroy(p->ch);
		pending_free(p);
		reject(fk, call, "cannot dial the plugin");
		return;
	}
	/* The answer waits for the plugin's options. */
	rpc_call_on_close(call, pending_closed, p);
}

static const struct rpc_method fk_methods[] = {
	{ "/v1beta1.Registration/Register",
	  &v1beta1__register_request__descriptor, do_register },
};

/* ---- life ---- */

int fk_start(struct fk *fk, const char *dir)
{
	int ret;

	if (!fk->loop.cq) {
		memset(fk, 0, sizeof(*fk));
		ret = rpc_loop_init(&fk->loop);
		if (ret < 0)
			return ret;
		snprintf(fk->dir, sizeof(fk->dir), "%s", dir);
		snprintf(fk->sock, sizeof(fk->sock), "%s/kubelet.sock", dir);
	}
	return rpc_server_start(&fk->loop, fk->sock, fk_methods, 1, fk,
				&fk->srv);
}

static void server_stopped(void *ctx)
{
	struct fk *fk = ctx;

	fk->stopping = false;
}

static bool server_gone(struct fk *fk, void *arg)
{
	(void)arg;
	return !fk->stopping;
}

void fk_stop(struct fk *fk)
{
	size_t i;

	if (fk->srv) {
		fk->stopping = true;
		rpc_server_stop(fk->srv, server_stopped, fk);
		fk->srv = NULL;
	}
	for (i = 0; i < fk->num_res; i++)
		disconnect(&fk->res[i]);
	fk_wait(fk, server_gone, NULL, 10000);
}

int fk_restart(struct fk *fk)
{
	struct dirent *e;
	DIR *d;

	fk_stop(fk);
	d = opendir(fk->dir);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char path[600];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", fk->dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(path);
	}
	closedir(d);
	return fk_start(fk, fk->dir);
}

void fk_destroy(struct fk *fk)
{
	if (!fk->loop.cq)
		return;
	fk_stop(fk);
	rpc_loop_destroy(&fk->loop);
}

bool fk_wait(struct fk *fk, bool (*pred)(struct fk *fk, void *arg),
	     void *arg, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;

	while (!pred(fk, arg)) {
		long long left = end - now_ms();

		if (left <= 0)
			return false;
		rpc_loop_run(&fk->loop, left > 50 ? 50 : (int)left);
	}
	return true;
}

static bool never(struct fk *fk, void *arg)
{
	(void)fk;
	(void)arg;
	return false;
}

void fk_run_for(struct fk *fk, int ms)
{
	fk_wait(fk, never, NULL, ms);
}

/* ---- calls ---- */

struct fk_answer {
	bool done;
	int status;
	char details[512];
	const ProtobufCMessageDescriptor *desc;
	ProtobufCMessage *resp;
};

static void on_answer(void *ctx, grpc_status_code status, const char *details,
		      const ProtobufCMessage *resp)
{
	struct fk_answer *a = ctx;

	a->done = true;
	a->status = status;
	snprintf(a->details, sizeof(a->details), "%s", details);
	if (resp) {
		/* Ours to keep: a copy through the wire format. */
		size_t len = protobuf_c_message_get_packed_size(resp);
		uint8_t *buf = malloc(len ? len : 1);

		if (buf) {
			protobuf_c_message_pack(resp, buf);
			a->resp = protobuf_c_message_unpack(a->desc, NULL, len,
							    buf);
			free(buf);
		}
	}
}

static bool answered(struct fk *fk, void *arg)
{
	(void)fk;
	return ((struct fk_answer *)arg)->done;
}

int fk_call(struct fk *fk, const char *name, const char *path,
	    const ProtobufCMessage *req,
	    const ProtobufCMessageDescriptor *resp_desc,
	    ProtobufCMessage **resp, char *details, size_t len)
{
	struct fk_resource *r = fk_resource(fk, name);
	struct fk_answer *a;
	int status;

	*resp = NULL;
	if (!r || !r->ch) {
		snprintf(details, len, "resource %s is not registered", name);
		return GRPC_STATUS_UNAVAILABLE;
	}
	a = calloc(1, sizeof(*a));
	if (!a || rpc_unary_start(&fk->loop, r->ch, path, req, resp_desc,
				  10000, on_answer, a) < 0) {
		free(a);
		snprintf(details, len, "out of memory");
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	}
	a->desc = resp_desc;
	/* The deadline above ends the call; this only bounds a hang (and
	 * then leaves @a to the late callback). */
	if (!fk_wait(fk, answered, a, 20000)) {
		snprintf(details, len, "no answer");
		return GRPC_STATUS_DEADLINE_EXCEEDED;
	}
	snprintf(details, len, "%s", a->details);
	status = a->status;
	if (status == GRPC_STATUS_OK && !a->resp) {
		snprintf(details, len, "the answer does not decode");
		status = GRPC_STATUS_INTERNAL;
	}
	*resp = a->resp;
	free(a);
	return status;
}
