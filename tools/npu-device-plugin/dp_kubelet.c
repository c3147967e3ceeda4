// SPDX-License-Identifier: MIT
/*
 * dp_kubelet.c - life with the kubelet: serve each resource on its own
 * socket in the device-plugin folder, register it (the kubelet connects
 * back before it answers), and when the kubelet restarts - it removes every
 * socket there and creates kubelet.sock anew - serve on a new socket and
 * register again.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deviceplugin.pb-c.h"
#include "dp.h"

#define DP_REGISTER_TIMEOUT_MS	15000
#define DP_BACKOFF_MAX_S	30

static bool socket_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

int dp_kubelet_serve(struct dp_resource *r)
{
	int ret = rpc_server_start(&r->dp->loop, r->path, dp_service_methods,
				   dp_service_num_methods, r, &r->srv);

	if (ret < 0) {
		dp_log("%s: cannot serve on %s: %s", r->name, r->path,
		       strerror(-ret));
		return ret;
	}
	r->generation++;
	r->registered = false;
	r->registering = false;
	r->retry_ns = 0;
	r->backoff_s = 1;
	if (r->dp->verbose)
		dp_log("%s: serving on %s", r->name, r->path);
	return 0;
}

static void server_stopped(void *ctx)
{
	struct dp_resource *r = ctx;

	r->stopping = false;
	if (!r->restart)
		return;
	r->restart = false;
	dp_kubelet_serve(r);
}

void dp_kubelet_restart(struct dp_resource *r)
{
	if (r->stopping) {
		r->restart = true;
		return;
	}
	if (!r->srv) {
		dp_kubelet_serve(r);
		return;
	}
	r->stopping = true;
	r->restart = true;
	r->registered = false;
	r->generation++;	/* a Register reply in flight is stale */
	rpc_server_stop(r->srv, server_stopped, r);
	r->srv = NULL;
}

size_t dp_kubelet_stop_all(struct dp_plugin *dp)
{
	size_t i, n = 0;

	for (i = 0; i < dp->num_res; i++) {
		struct dp_resource *r = &dp->res[i];

		r->restart = false;
		if (r->srv) {
			r->stopping = true;
			rpc_server_stop(r->srv, server_stopped, r);
			r->srv = NULL;
		}
		n += r->stopping;
	}
	return n;
}

struct dp_register_call {
	struct dp_resource *res;
	unsigned int generation;
	grpc_channel *ch;
};

static void register_done(void *ctx, grpc_status_code status,
			  const char *details, const ProtobufCMessage *resp)
{
	struct dp_register_call *rc = ctx;
	struct dp_resource *r = rc->res;

	(void)resp;
	grpc_channel_destroy(rc->ch);
	if (rc->generation != r->generation) {
		free(rc);
		return;		/* for a server that is gone */
	}
	free(rc);
	r->registering = false;
	if (status == GRPC_STATUS_OK) {
		r->registered = true;
		r->backoff_s = 1;
		dp_log("%s: registered with the kubelet (endpoint %s)",
		       r->name, r->endpoint);
		return;
	}
	dp_log("%s: registration failed (status %d: %s); retrying in %u s",
	       r->name, (int)status, details, r->backoff_s);
	r->retry_ns = dp_now_ns() + (uint64_t)r->backoff_s * 1000000000ull;
	r->backoff_s = r->backoff_s * 2 > DP_BACKOFF_MAX_S ? DP_BACKOFF_MAX_S :
		       r->backoff_s * 2;
}

static void register_start(struct dp_resource *r)
{
	V1beta1__RegisterRequest req = V1BETA1__REGISTER_REQUEST__INIT;
	V1beta1__DevicePluginOptions opts = V1BETA1__DEVICE_PLUGIN_OPTIONS__INIT;
	struct dp_register_call *rc = calloc(1, sizeof(*rc));

	if (!rc)
		return;
	rc->res = r;
	rc->generation = r->generation;
	rc->ch = rpc_channel_open(r->dp->kubelet_path);
	if (!rc->ch) {
		free(rc);
		return;
	}
	opts.pre_start_required = 0;
	opts.get_preferred_allocation_available = 1;
	req.version = DP_API_VERSION;
	req.endpoint = r->endpoint;
	req.resource_name = (char *)r->name;
	req.options = &opts;
	if (rpc_unary_start(&r->dp->loop, rc->ch,
			    "/v1beta1.Registration/Register", &req.base,
			    &v1beta1__empty__descriptor,
			    DP_REGISTER_TIMEOUT_MS, register_done, rc) < 0) {
		grpc_channel_destroy(rc->ch);
		free(rc);
		return;
	}
	r->registering = true;
}

void dp_kubelet_tick(struct dp_plugin *dp)
{
	uint64_t now = dp_now_ns();
	size_t i;

	if (!socket_exists(dp->kubelet_path))
		return;
	for (i = 0; i < dp->num_res; i++) {
		struct dp_resource *r = &dp->res[i];

		if (r->srv && !r->registered && !r->registering &&
		    now >= r->retry_ns)
			register_start(r);
	}
}

void dp_kubelet_dir_event(struct dp_plugin *dp, const char *name,
			  bool created)
{
	size_t i;

	if (!strcmp(name, DP_KUBELET_SOCKET)) {
		if (!created) {
			for (i = 0; i < dp->num_res; i++)
				dp->res[i].registered = false;
			dp_log("the kubelet's socket went away");
			return;
		}
		/* A new kubelet has cleaned the folder: new sockets. */
		dp_log("the kubelet (re)started; registering again");
		for (i = 0; i < dp->num_res; i++)
			dp_kubelet_restart(&dp->res[i]);
		return;
	}
	if (created)
		return;
	for (i = 0; i < dp->num_res; i++) {
		struct dp_resource *r = &dp->res[i];

		/* Our own stop removes the socket too: only a socket that
		 * is missing while its server runs counts. */
		if (!strcmp(name, r->endpoint) && r->srv && !r->stopping &&
		    !socket_exists(r->path)) {
			dp_log("%s: socket %s removed; serving anew", r->name,
			       r->path);
			dp_kubelet_restart(r);
		}
	}
}
