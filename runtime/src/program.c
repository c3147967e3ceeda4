// SPDX-License-Identifier: MIT
/*
 * program.c - .npuprog files: the validating loader (a bad file is an
 * error, never a crash), the writer, and program queries.
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "cpu_ops.h"
#include "npu_ops.h"
#include "program.h"

#define BAD(...)	npurt_err(-EBADMSG, "program: " __VA_ARGS__)

static const char *const op_names[RM_NPU_OP_COUNT] = {
	"NOP", "FILL", "COPY", "GEMM", "CONV2D", "POOL2D", "ELTWISE", "LUT",
};

const char *npurt_op_name(uint32_t opcode)
{
	return opcode < RM_NPU_OP_COUNT ? op_names[opcode] : "UNKNOWN";
}

/* ---- commands over slots ---------------------------------------------- */

static unsigned int mm_refs(uint32_t flags, struct rm_npu_ref *a,
			    struct rm_npu_ref *b, struct rm_npu_ref *bias,
			    struct rm_npu_ref *quant, struct rm_npu_ref *out,
			    struct rm_npu_ref **refs, bool *writes)
{
	unsigned int n = 0;

	refs[n] = a;
	writes[n++] = false;
	refs[n] = b;
	writes[n++] = false;
	if (flags & RM_NPU_MM_BIAS) {
		refs[n] = bias;
		writes[n++] = false;
	}
	if (flags & RM_NPU_MM_PER_CHANNEL) {
		refs[n] = quant;
		writes[n++] = false;
	}
	refs[n] = out;
	writes[n++] = true;
	return n;
}

static unsigned int three_refs(struct rm_npu_ref *r0, struct rm_npu_ref *r1,
			       struct rm_npu_ref *w, struct rm_npu_ref **refs,
			       bool *writes)
{
	unsigned int n = 0;

	if (r0) {
		refs[n] = r0;
		writes[n++] = false;
	}
	if (r1) {
		refs[n] = r1;
		writes[n++] = false;
	}
	refs[n] = w;
	writes[n++] = true;
	return n;
}

unsigned int npurt_cmd_refs(struct rm_npu_cmd *cmd, struct rm_npu_ref **refs,
			    bool *writes)
{
	switch (cmd->opcode) {
	case RM_NPU_OP_FILL:
		return three_refs(NULL, NULL, &cmd->fill.dst, refs, writes);
	case RM_NPU_OP_COPY:
		return three_refs(&cmd->copy.src, NULL, &cmd->copy.dst, refs,
				  writes);
	case RM_NPU_OP_GEMM:
		return mm_refs(cmd->flags, &cmd->gemm.a, &cmd->gemm.b,
			       &cmd->gemm.bias, &cmd->gemm.quant,
			       &cmd->gemm.out, refs, writes);
	case RM_NPU_OP_CONV2D:
		return mm_refs(cmd->flags, &cmd->conv2d.in,
			       &cmd->conv2d.weights, &cmd->conv2d.bias,
			       &cmd->conv2d.quant, &cmd->conv2d.out, refs,
			       writes);
	case RM_NPU_OP_POOL2D:
		return three_refs(&cmd->pool2d.in, NULL, &cmd->pool2d.out, refs,
				  writes);
	case RM_NPU_OP_ELTWISE:
		return three_refs(&cmd->eltwise.a.ref, &cmd->eltwise.b.ref,
				  &cmd->eltwise.out, refs, writes);
	case RM_NPU_OP_LUT:
		return three_refs(&cmd->lut.in, &cmd->lut.table, &cmd->lut.out,
				  refs, writes);
	default:
		return 0;
	}
}

int npurt_cmd_check(const struct rm_npu_cmd *cmd, unsigned int index,
		    const struct npurt_slot *slots, const uint64_t *sizes,
		    unsigned int num_slots)
{
	struct rm_npu_ref *refs[5];
	struct rm_npu_cmd copy;
	bool writes[5];
	unsigned int n, i;

	if (cmd->opcode >= RM_NPU_OP_COUNT)
		return npurt_err(-EINVAL, "command %u: unknown opcode %u",
				 index, cmd->opcode);
	if (npu_cmd_validate(cmd, sizes, num_slots, NPURT_ALL_CAPS))
		return npurt_err(-EINVAL, "command %u (%s): invalid (flags, "
				 "parameters, slot numbers or extents outside "
				 "their slots)", index,
				 npurt_op_name(cmd->opcode));
	copy = *cmd;
	n = npurt_cmd_refs(&copy, refs, writes);
	for (i = 0; i < n; i++) {
		const struct npurt_slot *s = &slots[refs[i]->bo];

		if (writes[i] && s->kind != NPURT_SLOT_OUTPUT &&
		    s->kind != NPURT_SLOT_SCRATCH)
			return npurt_err(-EINVAL, "command %u (%s): writes slot "
					 "%u \"%s\", which is not an output or "
					 "scratch slot", index,
					 npurt_op_name(cmd->opcode),
					 refs[i]->bo, s->desc.name);
	}
	return 0;
}

/* ---- loading ------------------------------------------------------------ */

struct prog_reader {
	const uint8_t *data;
	size_t size;
	struct npuprog_header h;
	const char *strings;
	npurt_program *prog;
};

static uint32_t prog_crc(const uint8_t *data, size_t size)
{
	static const uint8_t zero[4];
	const size_t at = offsetof(struct npuprog_header, checksum);
	uLong crc = crc32(0L, Z_NULL, 0);

	crc = crc32_z(crc, data, at);
	crc = crc32_z(crc, zero, sizeof(zero));
	crc = crc32_z(crc, data + at + 4, size - at - 4);
	return (uint32_t)crc;
}


static int header_check(struct prog_reader *r)
{
	const struct npuprog_header *h = &r->h;

	if (r->size < NPUPROG_HEADER_SIZE)
		return BAD("truncated: %zu bytes, the header alone is %d",
			   r->size, NPUPROG_HEADER_SIZE);
	memcpy(&r->h, r->data, sizeof(r->h));
	if (memcmp(h->magic, NPUPROG_MAGIC, sizeof(h->magic)))
		return BAD("bad magic (not a .npuprog file)");
	if (h->version_major != NPUPROG_MAJOR)
		return npurt_err(-EPROTONOSUPPORT, "program: format version "
				 "%u.%u, this library reads %d.x",
				 h->version_major, h->version_minor,
				 NPUPROG_MAJOR);
	if (h->file_size != r->size)
		return BAD("file size field %llu, but %zu bytes given",
			   (unsigned long long)h->file_size, r->size);
	if (h->header_size < NPUPROG_HEADER_SIZE || h->header_size > r->size ||
	    h->header_size % NPUPROG_SECTION_ALIGN)
		return BAD("bad header size %u", h->header_size);
	if (prog_crc(r->data, r->size) != h->checksum)
		return BAD("checksum mismatch (file corrupted)");
	if (h->flags || (h->version_minor < 2 && (h->npu_nodes ||
						     h->cpu_nodes)))
		return BAD("unknown flags or nonzero reserved header bytes");
	if (h->version_minor < 1 && (h->cpuops_off || h->num_cpuops ||
				     h->cpuop_size))
		return BAD("nonzero reserved header bytes (CPU steps in a "
			   "format 1.0 file)");
	if (h->num_cpuops ? h->cpuop_size != NPUPROG_CPUOP_SIZE :
	    h->cpuop_size || h->cpuops_off)
		return BAD("CPU step size %u, expected %d", h->cpuop_size,
			   h->num_cpuops ? NPUPROG_CPUOP_SIZE : 0);
	if (h->cmdset_version != RM_NPU_CMDSET_VERSION ||
	    h->cmd_size != sizeof(struct rm_npu_cmd))
		return BAD("command set %u (size %u), expected %d (size %zu)",
			   h->cmdset_version, h->cmd_size,
			   RM_NPU_CMDSET_VERSION, sizeof(struct rm_npu_cmd));
	if (h->num_slots > NPUPROG_MAX_SLOTS || h->num_cmds > NPUPROG_MAX_CMDS ||
	    h->strings_size > NPUPROG_MAX_STRINGS)
		return npurt_err(-EFBIG, "program: %u slots, %u commands, %llu "
				 "string bytes: above the limits (%d, %u, %u)",
				 h->num_slots, h->num_cmds,
				 (unsigned long long)h->strings_size,
				 NPUPROG_MAX_SLOTS, NPUPROG_MAX_CMDS,
				 NPUPROG_MAX_STRINGS);
	if (h->num_cpuops > NPUPROG_MAX_CPUOPS)
		return npurt_err(-EFBIG, "program: %u CPU steps, above the "
				 "limit (%u)", h->num_cpuops,
				 NPUPROG_MAX_CPUOPS);
	if (!h->num_cmds && !h->num_cpuops)
		return BAD("no command and no CPU step");
	return 0;
}

/* Section [off, off + count * elem) aligned, at or after @start. */
static int section_check(const struct prog_reader *r, const char *what,
			 uint64_t off, uint64_t count, uint64_t elem,
			 uint64_t align, uint64_t start, uint64_t *end)
{
	uint64_t len;

	if (!npurt_mul_ok(count, elem, &len) || !npurt_add_ok(off, len, end) ||
	    off < start || *end > r->size || off % align)
		return BAD("%s section [%llu, +%llu x %llu) misplaced (after "
			   "%llu, inside %zu bytes, aligned to %llu)", what,
			   (unsigned long long)off, (unsigned long long)count,
			   (unsigned long long)elem, (unsigned long long)start,
			   r->size, (unsigned long long)align);
	return 0;
}

static int sections_check(struct prog_reader *r)
{
	const struct npuprog_header *h = &r->h;
	uint64_t end;
	int ret;

	ret = section_check(r, "slot", h->slots_off, h->num_slots,
			    NPUPROG_SLOT_SIZE, NPUPROG_SECTION_ALIGN,
			    h->header_size, &end);
	if (!ret)
		ret = section_check(r, "command", h->cmds_off, h->num_cmds,
				    sizeof(struct rm_npu_cmd),
				    NPUPROG_SECTION_ALIGN, end, &end);
	if (!ret && h->num_cpuops)
		ret = section_check(r, "CPU step", h->cpuops_off,
				    h->num_cpuops, NPUPROG_CPUOP_SIZE,
				    NPUPROG_SECTION_ALIGN, end, &end);
	if (!ret)
		ret = section_check(r, "string", h->strings_off, h->strings_size,
				    1, 1, end, &end);
	if (!ret)
		ret = section_check(r, "weights", h->weights_off,
				    h->weights_size, 1, NPUPROG_WEIGHT_ALIGN,
				    end, &end);
	if (ret)
		return ret;
	/* Only now is the offset known to lie inside the data. */
	r->strings = (const char *)r->data + h->strings_off;
	return 0;
}

/*
 * The string at [off, off + len) of the string table, NUL-terminated
 * there, without NUL inside. Return: the string or NULL.
 */
static const char *prog_string(const struct prog_reader *r, uint32_t off,
			       uint32_t len)
{
	uint64_t end = (uint64_t)off + len;

	if (end >= r->h.strings_size || r->strings[end] != '\0' ||
	    memchr(r->strings + off, '\0', len))
		return NULL;
	return r->strings + off;
}

static int slot_desc(const struct prog_reader *r, const struct npuprog_slot *ps,
		     unsigned int i, struct npurt_slot *s)
{
	struct npurt_tensor_info info = { 0 };
	const char *layout = "";
	unsigned int d;

	info.name = prog_string(r, ps->name_off, ps->name_len);
	if (!info.name || !ps->name_len)
		return BAD("slot %u: name string out of the table or not "
			   "NUL-terminated", i);
	if (ps->layout_len || ps->layout_off) {
		layout = prog_string(r, ps->layout_off, ps->layout_len);
		if (!layout)
			return BAD("slot %u: layout string out of the table or "
				   "not NUL-terminated", i);
	}
	if (ps->ndim < 1 || ps->ndim > NPURT_MAX_DIMS)
		return BAD("slot %u: rank %u not in 1..%d", i, ps->ndim,
			   NPURT_MAX_DIMS);
	for (d = ps->ndim; d < NPURT_MAX_DIMS; d++)
		if (ps->dims[d])
			return BAD("slot %u: dimension %u past the rank is not 0",
				   i, d);
	info.dtype = ps->dtype;
	info.ndim = ps->ndim;
	memcpy(info.dims, ps->dims, sizeof(info.dims));
	info.layout = layout;
	memcpy(&info.scale, &ps->scale_bits, sizeof(info.scale));
	info.zero_point = ps->zero_point;
	if (npurt_desc_init(&s->desc, &info))
		return npurt_err_prefix(-EBADMSG, "program: slot %u", i);
	return 0;
}

static int slot_parse(struct prog_reader *r, unsigned int i)
{
	struct npurt_slot *s = &r->prog->slots[i];
	struct npuprog_slot ps;
	uint64_t end;
	int ret;

	memcpy(&ps, r->data + r->h.slots_off + (uint64_t)i * sizeof(ps),
	       sizeof(ps));
	if (ps.kind < NPURT_SLOT_INPUT || ps.kind > NPURT_SLOT_SCRATCH)
		return BAD("slot %u: unknown kind %u", i, ps.kind);
	if (ps.flags || ps.reserved)
		return BAD("slot %u: unknown flags or nonzero reserved field", i);
	ret = slot_desc(r, &ps, i, s);
	if (ret)
		return ret;
	s->kind = (enum npurt_slot_kind)ps.kind;
	s->size = ps.size;
	if (s->size != s->desc.size)
		return BAD("slot %u \"%s\": size %llu, its tensor has %llu "
			   "bytes", i, s->desc.name,
			   (unsigned long long)s->size,
			   (unsigned long long)s->desc.size);
	if (s->kind != NPURT_SLOT_WEIGHTS)
		return ps.data_off ? BAD("slot %u: data offset on a slot "
					 "without data", i) : 0;
	if (ps.data_off % NPUPROG_WEIGHT_ALIGN ||
	    !npurt_add_ok(ps.data_off, s->size, &end) ||
	    end > r->h.weights_size)
		return BAD("slot %u \"%s\": weights [%llu, +%llu) outside the "
			   "weights section (%llu bytes) or misaligned", i,
			   s->desc.name, (unsigned long long)ps.data_off,
			   (unsigned long long)s->size,
			   (unsigned long long)r->h.weights_size);
	s->data_off = ps.data_off;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	const struct npurt_slot *const *x = a, *const *y = b;

	return strcmp((*x)->desc.name, (*y)->desc.name);
}

static int slots_unique(npurt_program *p)
{
	const struct npurt_slot **v;
	unsigned int i;
	int ret = 0;

	if (p->num_slots < 2)
		return 0;
	v = malloc(p->num_slots * sizeof(*v));
	if (!v)
		return npurt_err(-ENOMEM, "out of memory");
	for (i = 0; i < p->num_slots; i++)
		v[i] = &p->slots[i];
	qsort(v, p->num_slots, sizeof(*v), name_cmp);
	for (i = 1; i < p->num_slots && !ret; i++)
		if (!strcmp(v[i - 1]->desc.name, v[i]->desc.name))
			ret = BAD("two slots named \"%s\"", v[i]->desc.name);
	free(v);
	return ret;
}

static int slots_index(npurt_program *p)
{
	unsigned int i;

	p->inputs = calloc(p->num_slots + 1, sizeof(*p->inputs));
	p->outputs = calloc(p->num_slots + 1, sizeof(*p->outputs));
	if (!p->inputs || !p->outputs)
		return npurt_err(-ENOMEM, "out of memory");
	for (i = 0; i < p->num_slots; i++) {
		if (p->slots[i].kind == NPURT_SLOT_INPUT)
			p->inputs[p->num_inputs++] = i;
		else if (p->slots[i].kind == NPURT_SLOT_OUTPUT)
			p->outputs[p->num_outputs++] = i;
		else if (p->slots[i].kind == NPURT_SLOT_WEIGHTS)
			p->slots[i].data = p->weights + p->slots[i].data_off;
	}
	return 0;
}

static int cmds_check(struct prog_reader *r)
{
	npurt_program *p = r->prog;
	uint64_t *sizes = calloc(p->num_slots + 1, sizeof(*sizes));
	unsigned int i;
	int ret = 0;

	if (!sizes)
		return npurt_err(-ENOMEM, "out of memory");
	for (i = 0; i < p->num_slots; i++)
		sizes[i] = p->slots[i].size;
	if (p->num_cmds)
		memcpy(p->cmds, r->data + r->h.cmds_off,
		       (size_t)p->num_cmds * sizeof(*p->cmds));
	for (i = 0; i < p->num_cmds && !ret; i++)
		if (npurt_cmd_check(&p->cmds[i], i, p->slots, sizes,
				    p->num_slots))
			ret = npurt_err_prefix(-EBADMSG, "program");
	if (p->num_cpuops)
		memcpy(p->cpuops, r->data + r->h.cpuops_off,
		       (size_t)p->num_cpuops * sizeof(*p->cpuops));
	for (i = 0; i < p->num_cpuops && !ret; i++) {
		const struct npuprog_cpuop *c = &p->cpuops[i];

		if (c->reserved || c->after_cmd > p->num_cmds ||
		    (i && c->after_cmd < p->cpuops[i - 1].after_cmd))
			ret = BAD("CPU step %u: position after command %u "
				  "out of order or past the %u commands, or "
				  "nonzero reserved field", i, c->after_cmd,
				  p->num_cmds);
		else if (npurt_cpu_op_check(&c->op, i, p->slots, sizes,
					    p->num_slots))
			ret = npurt_err_prefix(-EBADMSG, "program");
	}
	free(sizes);
	return ret;
}

static int prog_alloc(struct prog_reader *r)
{
	npurt_program *p = calloc(1, sizeof(*p));
	const struct npuprog_header *h = &r->h;

	if (!p)
		return npurt_err(-ENOMEM, "out of memory");
	r->prog = p;
	atomic_init(&p->refs, 1);
	p->num_slots = h->num_slots;
	p->num_cmds = h->num_cmds;
	p->weights_size = h->weights_size;
	p->slots = calloc(h->num_slots + 1, sizeof(*p->slots));
	p->cmds = calloc(h->num_cmds + 1, sizeof(*p->cmds));
	p->num_cpuops = h->num_cpuops;
	p->placement[0] = h->npu_nodes;
	p->placement[1] = h->cpu_nodes;
	p->cpuops = calloc(h->num_cpuops + 1, sizeof(*p->cpuops));
	p->weights = aligned_alloc(NPUPROG_WEIGHT_ALIGN,
				   npurt_align_up(h->weights_size + 1,
						  NPUPROG_WEIGHT_ALIGN));
	if (!p->slots || !p->cmds || !p->cpuops || !p->weights)
		return npurt_err(-ENOMEM, "program: out of memory (%llu bytes "
				 "of weights)",
				 (unsigned long long)h->weights_size);
	memcpy(p->weights, r->data + h->weights_off, h->weights_size);
	return 0;
}

static int prog_parse(struct prog_reader *r)
{
	const char *name;
	unsigned int i;
	int ret;

	ret = header_check(r);
	if (!ret)
		ret = sections_check(r);
	if (ret)
		return ret;
	name = prog_string(r, r->h.name_off, r->h.name_len);
	if (!name || !r->h.name_len || r->h.name_len >= NPURT_NAME_MAX)
		return BAD("program name missing, too long or not "
			   "NUL-terminated");
	ret = prog_alloc(r);
	if (ret)
		return ret;
	snprintf(r->prog->name, sizeof(r->prog->name), "%s", name);
	for (i = 0; i < r->h.num_slots && !ret; i++)
		ret = slot_parse(r, i);
	if (!ret)
		ret = slots_unique(r->prog);
	if (!ret)
		ret = slots_index(r->prog);
	if (!ret)
		ret = cmds_check(r);
	return ret;
}

static void prog_free(npurt_program *p)
{
	if (!p)
		return;
	free(p->slots);
	free(p->cmds);
	free(p->cpuops);
	free(p->weights);
	free(p->inputs);
	free(p->outputs);
	free(p);
}

NPURT_API int npurt_program_load_memory(const void *data, size_t size,
					npurt_program **out)
{
	struct prog_reader r = { .data = data, .size = size };
	int ret;

	if (!out || (!data && size))
		return npurt_err(-EINVAL, "npurt_program_load_memory: NULL "
				 "argument");
	*out = NULL;
	if (size > NPUPROG_MAX_FILE)
		return npurt_err(-EFBIG, "program: %zu bytes, above the limit",
				 size);
	ret = prog_parse(&r);
	if (ret) {
		prog_free(r.prog);
		return ret;
	}
	*out = r.prog;
	return 0;
}

static int read_all(int fd, uint8_t *buf, size_t size)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = read(fd, buf + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EBADMSG;
		done += (size_t)n;
	}
	return 0;
}

NPURT_API int npurt_program_load(const char *path, npurt_program **out)
{
	uint8_t *buf;
	struct stat st;
	int fd, ret;

	if (!path || !out)
		return npurt_err(-EINVAL, "npurt_program_load: NULL argument");
	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return npurt_err(-errno, "%s: %s", path, npurt_strerror(errno));
	if (fstat(fd, &st)) {
		ret = -errno;
		close(fd);
		return npurt_err(ret, "%s: %s", path, npurt_strerror(ret));
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > NPUPROG_MAX_FILE) {
		close(fd);
		return npurt_err(S_ISREG(st.st_mode) ? -EFBIG : -EINVAL,
				 "%s: not a regular file or too large", path);
	}
	buf = malloc((size_t)st.st_size + 1);
	ret = buf ? read_all(fd, buf, (size_t)st.st_size) : -ENOMEM;
	close(fd);
	if (ret) {
		free(buf);
		return npurt_err(ret, "%s: read failed: %s", path,
				 npurt_strerror(ret));
	}
	ret = npurt_program_load_memory(buf, (size_t)st.st_size, out);
	free(buf);
	return ret ? npurt_err_prefix(ret, "%s", path) : 0;
}

/* ---- writing ------------------------------------------------------------ */

struct prog_writer {
	uint8_t *buf;
	uint64_t strings_off;
	uint64_t strings_used;
};

static uint32_t put_string(struct prog_writer *w, const char *s,
			   uint32_t *len)
{
	uint32_t off = (uint32_t)w->strings_used;

	*len = (uint32_t)strlen(s);
	memcpy(w->buf + w->strings_off + off, s, *len + 1);
	w->strings_used += *len + 1;
	return off;
}

static void put_slot(struct prog_writer *w, uint8_t *at,
		     const struct npurt_slot *s, uint64_t data_off)
{
	struct npuprog_slot ps = { 0 };

	ps.kind = s->kind;
	ps.dtype = s->desc.dtype;
	ps.size = s->size;
	ps.data_off = s->kind == NPURT_SLOT_WEIGHTS ? data_off : 0;
	ps.name_off = put_string(w, s->desc.name, &ps.name_len);
	if (s->desc.layout[0])
		ps.layout_off = put_string(w, s->desc.layout, &ps.layout_len);
	ps.ndim = s->desc.ndim;
	ps.zero_point = s->desc.zero_point;
	memcpy(&ps.scale_bits, &s->desc.scale, sizeof(ps.scale_bits));
	memcpy(ps.dims, s->desc.dims, s->desc.ndim * sizeof(ps.dims[0]));
	memcpy(at, &ps, sizeof(ps));
}

static uint64_t strings_needed(const char *name, const struct npurt_slot *slots,
			       unsigned int n)
{
	uint64_t len = strlen(name) + 1;
	unsigned int i;

	for (i = 0; i < n; i++)
		len += strlen(slots[i].desc.name) + 1 +
		       (slots[i].desc.layout[0] ? strlen(slots[i].desc.layout) +
			1 : 0);
	return len;
}

static uint64_t weights_layout(const struct npurt_slot *slots, unsigned int n,
			       uint64_t *offs)
{
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (slots[i].kind != NPURT_SLOT_WEIGHTS)
			continue;
		offs[i] = npurt_align_up(total, NPUPROG_WEIGHT_ALIGN);
		total = offs[i] + slots[i].size;
	}
	return total;
}

static void prog_fill(struct prog_writer *w, struct npuprog_header *h,
		      const char *name, const struct npurt_slot *slots,
		      const struct rm_npu_cmd *cmds,
		      const struct npuprog_cpuop *cpuops, const uint64_t *woffs)
{
	unsigned int i;

	w->strings_off = h->strings_off;
	h->name_off = put_string(w, name, &h->name_len);
	for (i = 0; i < h->num_slots; i++) {
		put_slot(w, w->buf + h->slots_off + (uint64_t)i *
			 NPUPROG_SLOT_SIZE, &slots[i], woffs[i]);
		if (slots[i].kind == NPURT_SLOT_WEIGHTS)
			memcpy(w->buf + h->weights_off + woffs[i],
			       slots[i].data, slots[i].size);
	}
	if (h->num_cmds)
		memcpy(w->buf + h->cmds_off, cmds,
		       (size_t)h->num_cmds * sizeof(*cmds));
	if (h->num_cpuops)
		memcpy(w->buf + h->cpuops_off, cpuops,
		       (size_t)h->num_cpuops * sizeof(*cpuops));
	memcpy(w->buf, h, sizeof(*h));
	h->checksum = prog_crc(w->buf, h->file_size);
	memcpy(w->buf, h, sizeof(*h));
}

int npurt_prog_write(const char *name, const struct npurt_slot *slots,
		     unsigned int num_slots, const struct rm_npu_cmd *cmds,
		     unsigned int num_cmds, const struct npuprog_cpuop *cpuops,
		     unsigned int num_cpuops, const uint32_t placement[2],
		     void **data, size_t *size)
{
	struct npuprog_header h = { .version_major = NPUPROG_MAJOR,
		.version_minor = NPUPROG_MINOR,
		.header_size = NPUPROG_HEADER_SIZE,
		.cmdset_version = RM_NPU_CMDSET_VERSION,
		.cmd_size = sizeof(struct rm_npu_cmd),
		.num_slots = num_slots, .num_cmds = num_cmds,
		.npu_nodes = placement ? placement[0] : 0,
		.cpu_nodes = placement ? placement[1] : 0 };
	struct prog_writer w = { 0 };
	uint64_t *woffs = calloc(num_slots + 1, sizeof(*woffs));

	if (!woffs)
		return npurt_err(-ENOMEM, "out of memory");
	memcpy(h.magic, NPUPROG_MAGIC, sizeof(h.magic));
	h.slots_off = NPUPROG_HEADER_SIZE;
	h.cmds_off = h.slots_off + (uint64_t)num_slots * NPUPROG_SLOT_SIZE;
	h.strings_off = h.cmds_off + (uint64_t)num_cmds * sizeof(*cmds);
	if (num_cpuops) {
		h.num_cpuops = num_cpuops;
		h.cpuop_size = NPUPROG_CPUOP_SIZE;
		h.cpuops_off = h.strings_off;
		h.strings_off += (uint64_t)num_cpuops * NPUPROG_CPUOP_SIZE;
	}
	h.strings_size = strings_needed(name, slots, num_slots);
	h.weights_off = npurt_align_up(h.strings_off + h.strings_size,
				       NPUPROG_WEIGHT_ALIGN);
	h.weights_size = weights_layout(slots, num_slots, woffs);
	h.file_size = h.weights_off + h.weights_size;
	w.buf = calloc(1, h.file_size);
	if (!w.buf) {
		free(woffs);
		return npurt_err(-ENOMEM, "program: out of memory (%llu bytes)",
				 (unsigned long long)h.file_size);
	}
	prog_fill(&w, &h, name, slots, cmds, cpuops, woffs);
	free(woffs);
	*data = w.buf;
	*size = h.file_size;
	return 0;
}

NPURT_API int npurt_program_serialize(const npurt_program *prog,
				      void **data, size_t *size)
{
	if (!prog || !data || !size)
		return npurt_err(-EINVAL, "npurt_program_serialize: NULL "
				 "argument");
	return npurt_prog_write(prog->name, prog->slots, prog->num_slots,
				prog->cmds, prog->num_cmds, prog->cpuops,
				prog->num_cpuops, prog->placement, data, size);
}

static int write_all(int fd, const uint8_t *buf, size_t size)
{
	while (size) {
		ssize_t n = write(fd, buf, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		size -= (size_t)n;
	}
	return 0;
}

NPURT_API int npurt_program_save(const npurt_program *prog, const char *path)
{
	char tmp[4096];
	size_t size;
	void *data;
	int fd, ret;

	if (!path || snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path,
			      (int)getpid()) >= (int)sizeof(tmp))
		return npurt_err(-EINVAL, "npurt_program_save: bad path");
	ret = npurt_program_serialize(prog, &data, &size);
	if (ret)
		return ret;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
	} else {
		ret = write_all(fd, data, size);
		if (close(fd) && !ret)
			ret = -errno;
		if (!ret && rename(tmp, path))
			ret = -errno;
		if (ret)
			unlink(tmp);
	}
	free(data);
	return ret ? npurt_err(ret, "%s: %s", path, npurt_strerror(ret)) : 0;
}

/* ---- queries and lifetime ---------------------------------------------- */

npurt_program *npurt_program_get(npurt_program *prog)
{
	atomic_fetch_add(&prog->refs, 1);
	return prog;
}

void npurt_program_put(npurt_program *prog)
{
	if (prog && atomic_fetch_sub(&prog->refs, 1) == 1)
		prog_free(prog);
}

NPURT_API void npurt_program_destroy(npurt_program *prog)
{
	npurt_program_put(prog);
}

NPURT_API const char *npurt_program_name(const npurt_program *prog)
{
	return prog ? prog->name : NULL;
}

NPURT_API unsigned int npurt_program_slot_count(const npurt_program *prog)
{
	return prog ? prog->num_slots : 0;
}

NPURT_API unsigned int npurt_program_cmd_count(const npurt_program *prog)
{
	return prog ? prog->num_cmds : 0;
}

NPURT_API int npurt_program_slot(const npurt_program *prog,
				 unsigned int index,
				 struct npurt_slot_info *info)
{
	if (!prog || !info || index >= prog->num_slots)
		return npurt_err(-EINVAL, "npurt_program_slot: bad arguments");
	memset(info, 0, sizeof(*info));
	info->kind = prog->slots[index].kind;
	info->size = prog->slots[index].size;
	info->desc = &prog->slots[index].desc;
	return 0;
}

NPURT_API const struct rm_npu_cmd *
npurt_program_cmd(const npurt_program *prog, unsigned int index)
{
	return prog && index < prog->num_cmds ? &prog->cmds[index] : NULL;
}

NPURT_API unsigned int npurt_program_cpu_op_count(const npurt_program *prog)
{
	return prog ? prog->num_cpuops : 0;
}

NPURT_API const struct npurt_cpu_op *
npurt_program_cpu_op(const npurt_program *prog, unsigned int index,
		     unsigned int *after_cmd)
{
	if (!prog || index >= prog->num_cpuops)
		return NULL;
	if (after_cmd)
		*after_cmd = prog->cpuops[index].after_cmd;
	return &prog->cpuops[index].op;
}
