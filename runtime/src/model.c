// SPDX-License-Identifier: MIT
/*
 * model.c - model loading (dispatch on the file type or the bytes' magic:
 * .npuprog, ONNX through the compiler plugin), metadata queries (inputs
 * and outputs by index or name) and the human summary.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "model.h"
#include "npuc_plugin.h"

typedef int (*model_loader_fn)(npurt_runtime *rt, const char *path,
			       npurt_program **prog);

/*
 * ONNX models compile through the compiler plugin libnpuc.so.1
 * (npuc_plugin.h), looked up at run time so that libnpurt keeps no
 * dependency on protobuf-c or libcrypto: $NPURT_COMPILER_PLUGIN when set,
 * else next to this library (dladdr), else the loader's search path. The
 * plugin compiles through its cache, keyed on the model bytes, the compiler
 * and command-set versions, the target (arch and firmware capabilities of
 * @rt's first NPU, else "cpu" with every capability) and the options.
 * Handles are kept (RTLD_NODELETE): the plugin's libraries register exit
 * handlers and must not be unloaded.
 */
struct npuc_plugin {
	npuc_plugin_compile_fn compile;
	npuc_plugin_compile_memory_fn compile_memory;	/* NULL: ABI 1.0 */
	npuc_plugin_free_fn free;
};

static int plugin_try(const char *path, struct npuc_plugin *pl, char *why,
		      size_t whylen)
{
	npuc_plugin_abi_fn abi;
	void *h;

	dlerror();
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!h) {
		const char *e = dlerror();

		snprintf(why, whylen, "%s", e ? e : path);
		return -ENOENT;
	}
	abi = (npuc_plugin_abi_fn)dlsym(h, "npuc_plugin_abi");
	pl->compile = (npuc_plugin_compile_fn)dlsym(h, "npuc_plugin_compile");
	pl->free = (npuc_plugin_free_fn)dlsym(h, "npuc_plugin_free");
	pl->compile_memory = (npuc_plugin_compile_memory_fn)dlsym(h,
				"npuc_plugin_compile_memory");
	if (!abi || !pl->compile || !pl->free || abi() != NPUC_PLUGIN_ABI) {
		snprintf(why, whylen, "%s: not an ABI %d compiler plugin", path,
			 NPUC_PLUGIN_ABI);
		return -ENOENT;
	}
	return 0;
}

static int plugin_open(struct npuc_plugin *pl, char *why, size_t whylen)
{
	const char *env = getenv("NPURT_COMPILER_PLUGIN");
	char path[4096];
	Dl_info di;

	if (env && env[0])
		return plugin_try(env, pl, why, whylen);
	if (dladdr((void *)npurt_model_load, &di) && di.dli_fname &&
	    strchr(di.dli_fname, '/')) {
		const char *slash = strrchr(di.dli_fname, '/');
		int n = snprintf(path, sizeof(path), "%.*s/%s",
				 (int)(slash - di.dli_fname), di.dli_fname,
				 NPUC_PLUGIN_SONAME);

		if (n > 0 && (size_t)n < sizeof(path) &&
		    !access(path, F_OK) && !plugin_try(path, pl, why, whylen))
			return 0;
	}
	return plugin_try(NPUC_PLUGIN_SONAME, pl, why, whylen);
}

/* The compile target: the first NPU of @rt, else the CPU backend. */
static void onnx_target(npurt_runtime *rt, char arch[16], uint64_t *caps)
{
	struct npurt_device_info info;
	unsigned int i, n = rt ? npurt_runtime_device_count(rt) : 0;

	snprintf(arch, 16, "cpu");
	*caps = NPURT_ALL_CAPS;
	for (i = 0; i < n; i++) {
		if (npurt_device_get_info(npurt_runtime_device(rt, i), &info) ||
		    info.kind != NPURT_DEVICE_NPU)
			continue;
		snprintf(arch, 16, "%s", info.arch);
		*caps = info.fw_caps;
		return;
	}
}

/* An ONNX model in a file (@path) or in memory (@data, @size; @path then
 * names it in messages). */
static int model_compile_onnx(npurt_runtime *rt, const char *path,
			      const void *data, size_t size,
			      npurt_program **prog)
{
	struct npuc_plugin pl;
	char why[512], err[512], arch[16];
	uint64_t caps, t0 = npurt_now_ns();
	void *bytes = NULL;
	size_t len = 0;
	int ret, hit = 0;

	if (plugin_open(&pl, why, sizeof(why)))
		return npurt_err(-EOPNOTSUPP, "%s: ONNX models need the compiler "
				 "plugin %s, which is not installed (%s)", path,
				 NPUC_PLUGIN_SONAME, why);
	if (data && !pl.compile_memory)
		return npurt_err(-EOPNOTSUPP, "%s: the installed compiler plugin "
				 "%s cannot compile models from memory (too "
				 "old)", path, NPUC_PLUGIN_SONAME);
	onnx_target(rt, arch, &caps);
	err[0] = 0;
	if (data)
		ret = pl.compile_memory(data, size, arch, caps, "", &bytes,
					&len, &hit, err, sizeof(err));
	else
		ret = pl.compile(path, arch, caps, "", &bytes, &len, &hit, err,
				 sizeof(err));
	if (ret < 0 || !bytes) {
		if (bytes)
			pl.free(bytes);
		return npurt_err(ret < 0 ? ret : -EIO, "%s", err[0] ? err :
				 "the compiler plugin failed");
	}
	ret = npurt_program_load_memory(bytes, len, prog);
	pl.free(bytes);
	if (ret)
		return npurt_err_prefix(ret, "%s: compiled program", path);
	npurt_info("%s: %s for %s (cache %s) in %.1f ms", path,
		   hit ? "loaded" : "compiled", arch, hit ? "hit" : "miss",
		   (double)(npurt_now_ns() - t0) / 1e6);
	return 0;
}

static int model_load_onnx(npurt_runtime *rt, const char *path,
			   npurt_program **prog)
{
	return model_compile_onnx(rt, path, NULL, 0, prog);
}

static int model_load_prog(npurt_runtime *rt, const char *path,
			   npurt_program **prog)
{
	(void)rt;
	return npurt_program_load(path, prog);
}

static const struct {
	const char *ext;
	model_loader_fn load;
} model_loaders[] = {
	{ ".onnx", model_load_onnx },
	{ ".npuprog", model_load_prog },
};

static model_loader_fn model_loader_for(const char *path)
{
	size_t len = strlen(path), i;

	for (i = 0; i < NPURT_ARRAY_SIZE(model_loaders); i++) {
		size_t n = strlen(model_loaders[i].ext);

		if (len > n && !strcasecmp(path + len - n, model_loaders[i].ext))
			return model_loaders[i].load;
	}
	return model_load_prog;	/* other names: the loader checks the magic */
}

static char *model_summary_build(const npurt_program *p);

static int model_wrap(npurt_program *prog, npurt_model **out)
{
	npurt_model *m = calloc(1, sizeof(*m));

	if (m)
		m->summary = model_summary_build(prog);
	if (!m || !m->summary) {
		free(m);
		return npurt_err(-ENOMEM, "out of memory");
	}
	atomic_init(&m->refs, 1);
	m->prog = prog;
	*out = m;
	return 0;
}

NPURT_API int npurt_model_load(npurt_runtime *rt, const char *path,
			       npurt_model **out)
{
	npurt_program *prog;
	int ret;

	if (!path || !out)
		return npurt_err(-EINVAL, "npurt_model_load: NULL argument");
	*out = NULL;
	ret = model_loader_for(path)(rt, path, &prog);
	if (ret)
		return ret;
	ret = model_wrap(prog, out);
	if (ret)
		npurt_program_put(prog);
	return ret;
}

NPURT_API int npurt_model_load_memory(npurt_runtime *rt, const void *data,
				      size_t size, npurt_model **out)
{
	npurt_program *prog;
	int ret;

	if (!out || (!data && size))
		return npurt_err(-EINVAL, "npurt_model_load_memory: NULL "
				 "argument");
	*out = NULL;
	/* .npuprog images start with their magic; anything else is offered
	 * to the ONNX compiler. */
	if (size >= sizeof(NPUPROG_MAGIC) &&
	    !memcmp(data, NPUPROG_MAGIC, sizeof(NPUPROG_MAGIC)))
		ret = npurt_program_load_memory(data, size, &prog);
	else
		ret = model_compile_onnx(rt, "model in memory", data, size,
					 &prog);
	if (ret)
		return ret;
	ret = model_wrap(prog, out);
	if (ret)
		npurt_program_put(prog);
	return ret;
}

NPURT_API int npurt_model_from_program(npurt_program *prog,
				       npurt_model **out)
{
	int ret;

	if (!prog || !out)
		return npurt_err(-EINVAL, "npurt_model_from_program: NULL "
				 "argument");
	*out = NULL;
	ret = model_wrap(npurt_program_get(prog), out);
	if (ret)
		npurt_program_put(prog);
	return ret;
}

npurt_model *npurt_model_get(npurt_model *model)
{
	atomic_fetch_add(&model->refs, 1);
	return model;
}

void npurt_model_put(npurt_model *model)
{
	if (!model || atomic_fetch_sub(&model->refs, 1) != 1)
		return;
	npurt_program_put(model->prog);
	free(model->summary);
	free(model);
}

NPURT_API void npurt_model_destroy(npurt_model *model)
{
	npurt_model_put(model);
}

NPURT_API const char *npurt_model_name(const npurt_model *model)
{
	return model ? model->prog->name : NULL;
}

NPURT_API unsigned int npurt_model_input_count(const npurt_model *model)
{
	return model ? model->prog->num_inputs : 0;
}

NPURT_API unsigned int npurt_model_output_count(const npurt_model *model)
{
	return model ? model->prog->num_outputs : 0;
}

NPURT_API const npurt_tensor_desc *npurt_model_input(const npurt_model *model,
						     unsigned int index)
{
	const npurt_program *p = model ? model->prog : NULL;

	return p && index < p->num_inputs ? &p->slots[p->inputs[index]].desc :
	       NULL;
}

NPURT_API const npurt_tensor_desc *
npurt_model_output(const npurt_model *model, unsigned int index)
{
	const npurt_program *p = model ? model->prog : NULL;

	return p && index < p->num_outputs ? &p->slots[p->outputs[index]].desc :
	       NULL;
}

static int model_io_index(const npurt_model *model, bool out,
			  const char *name)
{
	const char *what = out ? "output" : "input";
	const npurt_program *p;
	char names[256] = "";
	unsigned int i, n;
	size_t used = 0;

	if (!model || !name)
		return npurt_err(-EINVAL, "npurt_model_%s_index: NULL argument",
				 what);
	p = model->prog;
	n = out ? p->num_outputs : p->num_inputs;
	for (i = 0; i < n; i++) {
		const char *s = p->slots[out ? p->outputs[i] :
					 p->inputs[i]].desc.name;

		if (!strcmp(s, name))
			return (int)i;
		if (used < sizeof(names))
			used += (size_t)snprintf(names + used, sizeof(names) -
						 used, "%s\"%s\"", i ? ", " : "",
						 s);
	}
	return npurt_err(-ENOENT, "model \"%s\" has no %s named \"%s\" (%ss: "
			 "%s)", p->name, what, name, what, names);
}

NPURT_API int npurt_model_input_index(const npurt_model *model,
				      const char *name)
{
	return model_io_index(model, false, name);
}

NPURT_API int npurt_model_output_index(const npurt_model *model,
				       const char *name)
{
	return model_io_index(model, true, name);
}

NPURT_API const npurt_program *npurt_model_program(const npurt_model *model)
{
	return model ? model->prog : NULL;
}

/* ---- summary ------------------------------------------------------------ */

struct text {
	char *buf;
	size_t len;
	size_t cap;
	bool oom;
};

static void text_add(struct text *t, const char *fmt, ...) NPURT_PRINTF(2, 3);

static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	char *b;
	int n;

	if (t->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = true;
			return;
		}
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		b = realloc(t->buf, 2 * t->cap + (size_t)n);
		if (!b) {
			t->oom = true;
			return;
		}
		t->buf = b;
		t->cap = 2 * t->cap + (size_t)n;
	}
}

static void summary_tensor(struct text *t, const char *what, unsigned int i,
			   const struct npurt_tensor_desc *d)
{
	unsigned int a;

	text_add(t, "  %s %u \"%s\": %s [", what, i, d->name,
		 npurt_dtype_name(d->dtype));
	for (a = 0; a < d->ndim; a++)
		text_add(t, "%s%llu", a ? ", " : "",
			 (unsigned long long)d->dims[a]);
	text_add(t, "]");
	if (d->layout[0]) {
		text_add(t, " %s (", d->layout);
		for (a = 0; a < d->ndim; a++)
			text_add(t, "%s%s", a ? ", " : "",
				 npurt_tensor_desc_axis_name(d, a));
		text_add(t, ")");
	}
	text_add(t, ", %llu elements, %llu bytes",
		 (unsigned long long)d->elements, (unsigned long long)d->size);
	if (d->scale > 0)
		text_add(t, ", scale %g zero point %d", (double)d->scale,
			 d->zero_point);
	text_add(t, "\n");
}

static void summary_body(struct text *t, const npurt_program *p)
{
	unsigned int ops[RM_NPU_OP_COUNT] = { 0 }, i, first = 1;
	uint64_t weights = 0, scratch = 0;

	for (i = 0; i < p->num_cmds; i++)
		ops[p->cmds[i].opcode]++;
	for (i = 0; i < p->num_slots; i++) {
		if (p->slots[i].kind == NPURT_SLOT_WEIGHTS)
			weights += p->slots[i].size;
		else if (p->slots[i].kind == NPURT_SLOT_SCRATCH)
			scratch += p->slots[i].size;
	}
	text_add(t, "model \"%s\": %u input(s), %u output(s), %u command(s) (",
		 p->name, p->num_inputs, p->num_outputs, p->num_cmds);
	for (i = 0; i < RM_NPU_OP_COUNT; i++) {
		if (!ops[i])
			continue;
		text_add(t, "%s%u %s", first ? "" : ", ", ops[i],
			 npurt_op_name(i));
		first = 0;
	}
	text_add(t, ")");
	if (p->num_cpuops) {
		unsigned int cpu[NPURT_CPU_OP_COUNT] = { 0 };

		for (i = 0; i < p->num_cpuops; i++)
			cpu[p->cpuops[i].op.opcode]++;
		text_add(t, ", %u CPU step(s) (", p->num_cpuops);
		for (first = 1, i = 0; i < NPURT_CPU_OP_COUNT; i++) {
			if (!cpu[i])
				continue;
			text_add(t, "%s%u %s", first ? "" : ", ", cpu[i],
				 npurt_cpu_op_name(i));
			first = 0;
		}
		text_add(t, ")");
	}
	text_add(t, ", weights %llu bytes, scratch %llu bytes",
		 (unsigned long long)weights, (unsigned long long)scratch);
	if (p->placement[0] || p->placement[1])
		text_add(t, "; graph nodes: %u on the NPU, %u on the CPU",
			 p->placement[0], p->placement[1]);
	text_add(t, "\n");
	for (i = 0; i < p->num_inputs; i++)
		summary_tensor(t, "input ", i, &p->slots[p->inputs[i]].desc);
	for (i = 0; i < p->num_outputs; i++)
		summary_tensor(t, "output", i, &p->slots[p->outputs[i]].desc);
}

/* Built once, with the model: queries stay read-only and thread-safe. */
static char *model_summary_build(const npurt_program *p)
{
	struct text t = { .cap = 256 };

	t.buf = malloc(t.cap);
	if (!t.buf)
		return NULL;
	t.buf[0] = '\0';
	summary_body(&t, p);
	if (t.oom) {
		free(t.buf);
		return NULL;
	}
	return t.buf;
}

NPURT_API const char *npurt_model_summary(const npurt_model *model)
{
	return model ? model->summary : NULL;
}
