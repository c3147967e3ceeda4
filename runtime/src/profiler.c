// SPDX-License-Identifier: MIT
/*
 * profiler.c - the trace recorder: spans in memory while active, written
 * with json-c as {"traceEvents": [...]} ("X" complete events, "M" track
 * names), which chrome://tracing and Perfetto load.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "profiler.h"

#define PROF_MAX_EVENTS		(1u << 20)
#define PROF_NAME_LEN		64

struct prof_event {
	const char *cat;
	uint64_t track;
	uint64_t start_ns;
	uint64_t end_ns;
	char name[PROF_NAME_LEN];
};

struct prof_track {
	uint64_t track;
	char name[PROF_NAME_LEN];
};

struct npurt_profiler {
	pthread_mutex_t lock;
	atomic_bool active;
	char *path;
	uint64_t t0;
	struct prof_event *events;
	size_t num_events, cap_events, dropped;
	struct prof_track *tracks;
	size_t num_tracks;
};

static uint64_t prof_thread_track(void)
{
	return (uint64_t)gettid();
}

int npurt_prof_init(npurt_runtime *rt)
{
	struct npurt_profiler *p = calloc(1, sizeof(*p));
	const char *env = getenv("NPU_PROFILE");

	if (!p)
		return npurt_err(-ENOMEM, "out of memory");
	pthread_mutex_init(&p->lock, NULL);
	rt->prof = p;
	if (env && *env)
		return npurt_profiler_start(rt, env);
	return 0;
}

void npurt_prof_fini(npurt_runtime *rt)
{
	struct npurt_profiler *p = rt->prof;

	if (!p)
		return;
	if (atomic_load(&p->active) && npurt_profiler_stop(rt))
		npurt_warn("profiler: %s", npurt_last_error());
	free(p->tracks);
	pthread_mutex_destroy(&p->lock);
	free(p);
	rt->prof = NULL;
}

bool npurt_prof_active(const npurt_runtime *rt)
{
	return rt && rt->prof && atomic_load(&rt->prof->active);
}

static struct prof_event *prof_slot(struct npurt_profiler *p)
{
	struct prof_event *ev;
	size_t cap;

	if (p->num_events == p->cap_events) {
		if (p->cap_events == PROF_MAX_EVENTS) {
			p->dropped++;
			return NULL;
		}
		cap = p->cap_events ? 2 * p->cap_events : 1024;
		ev = realloc(p->events, cap * sizeof(*ev));
		if (!ev) {
			p->dropped++;
			return NULL;
		}
		p->events = ev;
		p->cap_events = cap;
	}
	return &p->events[p->num_events++];
}

void npurt_prof_span(npurt_runtime *rt, const char *cat, uint64_t track,
		     uint64_t start_ns, uint64_t end_ns, const char *fmt, ...)
{
	struct npurt_profiler *p;
	struct prof_event *ev;
	char name[PROF_NAME_LEN];
	va_list ap;

	if (!npurt_prof_active(rt))
		return;
	p = rt->prof;
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&p->lock);
	if (atomic_load(&p->active) && (ev = prof_slot(p))) {
		ev->cat = cat;
		ev->track = track == NPURT_PROF_THREAD ? prof_thread_track() :
			    track;
		ev->start_ns = start_ns;
		ev->end_ns = end_ns > start_ns ? end_ns : start_ns;
		memcpy(ev->name, name, sizeof(name));
	}
	pthread_mutex_unlock(&p->lock);
}

void npurt_prof_name_track(npurt_runtime *rt, uint64_t track,
			   const char *name)
{
	struct npurt_profiler *p = rt ? rt->prof : NULL;
	struct prof_track *t;
	size_t i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->num_tracks; i++)
		if (p->tracks[i].track == track)
			break;
	if (i == p->num_tracks) {
		t = realloc(p->tracks, (i + 1) * sizeof(*t));
		if (t) {
			p->tracks = t;
			p->num_tracks++;
		}
	}
	if (i < p->num_tracks) {
		p->tracks[i].track = track;
		snprintf(p->tracks[i].name, PROF_NAME_LEN, "%s", name);
	}
	pthread_mutex_unlock(&p->lock);
}

void npurt_prof_name_thread(npurt_runtime *rt, const char *name)
{
	npurt_prof_name_track(rt, prof_thread_track(), name);
}

NPURT_API int npurt_profiler_start(npurt_runtime *rt, const char *path)
{
	struct npurt_profiler *p = rt ? rt->prof : NULL;
	char *copy;

	if (!p || !path || !*path)
		return npurt_err(-EINVAL, "npurt_profiler_start: bad arguments");
	copy = strdup(path);
	if (!copy)
		return npurt_err(-ENOMEM, "out of memory");
	pthread_mutex_lock(&p->lock);
	if (atomic_load(&p->active)) {
		pthread_mutex_unlock(&p->lock);
		free(copy);
		return npurt_err(-EALREADY, "profiler already recording to %s",
				 p->path);
	}
	p->path = copy;
	p->t0 = npurt_now_ns();
	p->num_events = 0;
	p->dropped = 0;
	atomic_store(&p->active, true);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static json_object *prof_meta(const char *what, uint64_t tid, const char *name)
{
	json_object *o = json_object_new_object(), *args;

	args = json_object_new_object();
	json_object_object_add(args, "name", json_object_new_string(name));
	json_object_object_add(o, "name", json_object_new_string(what));
	json_object_object_add(o, "ph", json_object_new_string("M"));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "tid", json_object_new_int64((int64_t)tid));
	json_object_object_add(o, "args", args);
	return o;
}

static json_object *prof_event_json(const struct npurt_profiler *p,
				    const struct prof_event *ev)
{
	json_object *o = json_object_new_object();
	uint64_t start = ev->start_ns > p->t0 ? ev->start_ns - p->t0 : 0;

	json_object_object_add(o, "name", json_object_new_string(ev->name));
	json_object_object_add(o, "cat", json_object_new_string(ev->cat));
	json_object_object_add(o, "ph", json_object_new_string("X"));
	json_object_object_add(o, "ts", json_object_new_double(start / 1e3));
	json_object_object_add(o, "dur", json_object_new_double(
		(ev->end_ns - ev->start_ns) / 1e3));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "tid",
			       json_object_new_int64((int64_t)ev->track));
	return o;
}

static int prof_write(const struct npurt_profiler *p)
{
	json_object *root = json_object_new_object();
	json_object *events = json_object_new_array();
	size_t i;
	int ret = 0;

	json_object_array_add(events, prof_meta("process_name", 0, "libnpurt"));
	for (i = 0; i < p->num_tracks; i++)
		json_object_array_add(events, prof_meta("thread_name",
							p->tracks[i].track,
							p->tracks[i].name));
	for (i = 0; i < p->num_events; i++)
		json_object_array_add(events, prof_event_json(p, &p->events[i]));
	json_object_object_add(root, "traceEvents", events);
	json_object_object_add(root, "displayTimeUnit",
			       json_object_new_string("ns"));
	if (json_object_to_file_ext(p->path, root, JSON_C_TO_STRING_PLAIN))
		ret = npurt_err(errno ? -errno : -EIO, "profiler: writing %s: %s",
				p->path, json_util_get_last_err());
	json_object_put(root);
	return ret;
}

NPURT_API int npurt_profiler_stop(npurt_runtime *rt)
{
	struct npurt_profiler *p = rt ? rt->prof : NULL;
	int ret;

	if (!p)
		return npurt_err(-EINVAL, "npurt_profiler_stop: NULL runtime");
	pthread_mutex_lock(&p->lock);
	if (!atomic_load(&p->active)) {
		pthread_mutex_unlock(&p->lock);
		return npurt_err(-EINVAL, "profiler not recording");
	}
	atomic_store(&p->active, false);
	ret = prof_write(p);
	if (p->dropped)
		npurt_warn("profiler: %zu events dropped", p->dropped);
	npurt_info("profiler: %zu events written to %s", p->num_events,
		   p->path);
	free(p->events);
	p->events = NULL;
	p->num_events = p->cap_events = 0;
	free(p->path);
	p->path = NULL;
	pthread_mutex_unlock(&p->lock);
	return ret;
}
