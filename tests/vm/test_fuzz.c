// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_fuzz: a bounded ioctl fuzzer over the management and PE nodes:
 * random ioctl numbers in and around the 0xB8 magic with random sizes and
 * contents, argument pointers at the edge of unmapped memory, random
 * buffer object creates, closes and mmaps, plausible-but-wrong SUBMIT
 * streams (random opcodes and fields over real buffers, bad handle lists,
 * fences, RM_NPU_SUBMIT_WAIT), SUBMIT_BATCH of such jobs (element sizes of
 * ABI 1.0 and later, nonzero tails, random header fields), WAITs on random
 * ids, and node closes with jobs in flight.
 *
 * Nothing may crash or hang (run-tests fails on a dirty kernel log); the
 * errnos the uAPI pins down are asserted, and at the end every buffer and
 * byte of device memory is given back.
 *
 * Environment: NPU_FUZZ_SEED (default 0x5eed0f2a, so CI runs are
 * reproducible; "random" for a time-based seed; printed either way),
 * NPU_FUZZ_ITERS (default sized for about 15 s under TCG). Expects
 * job_timeout_ms=200 so that random huge commands end quickly.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "job_util.h"

#define DEFAULT_ITERS	600000
#define ARG_BUF		32768
#define MAX_HANDLES	32
#define MAX_FENCES	16
#define MAX_MAPS	16
#define MAX_JOBS	24

static __thread uint64_t rng;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static uint32_t rn(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

/* Values that sit on validation edges. */
static uint64_t edge(void)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 63, 64, 65, 127, 128, 255, 256,
		4095, 4096, 4097, 32768, 65535, 65536, 65537, 0x7fffffff,
		0x80000000, 0xffffffff, 0x100000000ULL, ~0ULL, ~0ULL >> 1,
		(uint64_t)-128, (uint64_t)-1 << 31,
	};

	switch (rn(4)) {
	case 0:
		return rnd();
	case 1:
		return rn(16);
	default:
		return v[rn(sizeof(v) / sizeof(v[0]))];
	}
}

struct pe_file {
	const char *node;
	int fd;
	__u32 handles[MAX_HANDLES];
	__u64 sizes[MAX_HANDLES];
	int nhandles;
	__u64 jobs[MAX_JOBS];
	int njobs;
	__u64 last_id;
};

static struct pe_file pes[3] = {
	{ .node = "npu0pe0", .fd = -1 },
	{ .node = "npu0pe1", .fd = -1 },
	{ .node = "npu0pe0-1", .fd = -1 },
};
static int mgmt_fd = -1;
static int fences[MAX_FENCES];
static int nfences;
static struct { void *p; size_t len; } maps[MAX_MAPS];
static int nmaps;
static unsigned char *argbuf;	/* ARG_BUF bytes, then a PROT_NONE page */
static long long stats[8];

static void pe_close(struct pe_file *f)
{
	if (f->fd < 0)
		return;
	close(f->fd);
	f->fd = -1;
	f->nhandles = 0;
	f->njobs = 0;
	f->last_id = 0;
}

static void pe_open(struct pe_file *f)
{
	int fd;

	if (f->fd >= 0)
		return;
	fd = npu_try_open(f->node);
	/* A fused node and its PEs exclude each other. */
	if (fd == -EBUSY)
		return;
	if (fd < 0)
		fail_msg("open %s: %s", f->node, strerror(-fd));
	f->fd = fd;
}

static void unmap_all(void)
{
	while (nmaps) {
		nmaps--;
		munmap(maps[nmaps].p, maps[nmaps].len);
	}
}

static struct pe_file *any_open_pe(void)
{
	int i, start = (int)rn(3);

	for (i = 0; i < 3; i++) {
		struct pe_file *f = &pes[(start + i) % 3];

		if (f->fd >= 0)
			return f;
	}
	pe_open(&pes[0]);
	pe_open(&pes[1]);
	if (pes[0].fd < 0 && pes[1].fd < 0) {
		/* Mappings of a closed node keep its PEs claimed. */
		unmap_all();
		pe_open(&pes[0]);
		pe_open(&pes[1]);
	}
	if (pes[0].fd < 0 && pes[1].fd < 0)
		fail_msg("cannot open npu0pe0 or npu0pe1");
	return pes[0].fd >= 0 ? &pes[0] : &pes[1];
}

static void fill_random(void *p, size_t len)
{
	unsigned char *b = p;
	size_t i;

	switch (rn(3)) {
	case 0:
		memset(p, 0, len);
		break;
	case 1:
		for (i = 0; i < len; i++)
			b[i] = (unsigned char)rnd();
		break;
	default:
		memset(p, 0, len);
		for (i = 0; i < len / 8 && i < 8; i++)
			b[rn((uint32_t)len)] = (unsigned char)rnd();
		break;
	}
}

/* An argument pointer for @size bytes: usually valid, sometimes not. */
static void *arg_ptr(size_t size)
{
	switch (rn(16)) {
	case 0:
		return NULL;
	case 1:
		return (void *)(uintptr_t)0x1000;
	case 2:
		/* Straddles into the guard page. */
		return argbuf + ARG_BUF - (size ? size / 2 : 0);
	default:
		return argbuf + ARG_BUF - size;	/* ends at the guard page */
	}
}

static void track_fence(int fd)
{
	if (fd < 0)
		return;
	if (nfences == MAX_FENCES) {
		int i = (int)rn(MAX_FENCES);

		close(fences[i]);
		fences[i] = fd;
		return;
	}
	fences[nfences++] = fd;
}

static int random_fence_fd(void)
{
	switch (rn(6)) {
	case 0:
		return -1;
	case 1:
		return (int)edge();
	case 2:
		return mgmt_fd;
	case 3:
		return 0;
	default:
		return nfences ? fences[rn(nfences)] : (int)rn(64);
	}
}

/* Raw ioctl in and around the magic, random direction, number and size. */
static void fuzz_raw_ioctl(void)
{
	static const unsigned int types[] = { 0xB8, 0xB8, 0xB8, 0xB7, 0xB9 };
	unsigned int type = types[rn(5)];
	unsigned int nr = rn(4) ? rn(8) : rn(256);
	unsigned int dir = rn(4);
	struct pe_file *f;
	unsigned int size;
	unsigned long cmd;
	int fd, ret, err;
	void *arg;

	switch (rn(4)) {
	case 0:
		size = rn(1u << 14);
		break;
	case 1:
		size = rn(512);
		break;
	default:
		size = (unsigned int)(sizeof(struct rm_npu_info) - 8 + rn(24));
		if (nr == 5)
			size = (unsigned int)sizeof(struct rm_npu_submit) -
			       8 + rn(24);
		break;
	}
	if (size > ARG_BUF)
		size = ARG_BUF;
	cmd = _IOC(dir, type, nr, size);
	arg = arg_ptr(size);
	if (arg == argbuf + ARG_BUF - size)
		fill_random(arg, size);
	f = rn(4) ? any_open_pe() : NULL;
	fd = f ? f->fd : mgmt_fd;
	errno = 0;
	ret = ioctl(fd, cmd, arg);
	err = errno;
	stats[0]++;
	/* A lucky SUBMIT: follow its id, keep its out-fence. */
	if (!ret && f && type == 0xB8 && nr == 5) {
		const struct rm_npu_submit *s = arg;

		f->last_id = s->job_id;
		if (s->flags & RM_NPU_SUBMIT_OUT_FENCE)
			track_fence(s->out_fence_fd);
	}
	if (type != 0xB8 || nr > 7) {
		if (ret != -1 || err != ENOTTY)
			fail_msg("ioctl %#lx: %d %s, expected ENOTTY", cmd, ret,
				 strerror(err));
	}
	if (fd == mgmt_fd && type == 0xB8 && nr >= 1 && nr <= 7 &&
	    (ret != -1 || err != ENOTTY))
		fail_msg("ioctl %#lx on npu0: %d %s, expected ENOTTY", cmd, ret,
			 strerror(err));
}

static void fuzz_bo(void)
{
	struct pe_file *f = any_open_pe();
	struct rm_npu_bo_create c;
	struct rm_npu_bo_close cl;
	int i;

	switch (rn(4)) {
	case 0:
	case 1:
		memset(&c, 0, sizeof(c));
		c.size = rn(3) ? 1 + rn(65536) : edge();
		if (!rn(16))
			c.flags = (__u32)edge();
		if (ioctl(f->fd, RM_NPU_IOCTL_BO_CREATE, &c)) {
			if (errno != EINVAL && errno != ENOMEM &&
			    errno != EMFILE)
				fail_msg("BO_CREATE %llu: %s",
					 (unsigned long long)c.size,
					 strerror(errno));
			return;
		}
		stats[1]++;
		if (f->nhandles == MAX_HANDLES) {
			i = (int)rn(MAX_HANDLES);
			cl.handle = f->handles[i];
			cl.flags = 0;
			ioctl(f->fd, RM_NPU_IOCTL_BO_CLOSE, &cl);
		} else {
			i = f->nhandles++;
		}
		f->handles[i] = c.handle;
		f->sizes[i] = c.alloc_size;
		break;
	case 2:
		memset(&cl, 0, sizeof(cl));
		if (f->nhandles && rn(2)) {
			i = (int)rn(f->nhandles);
			cl.handle = f->handles[i];
			f->handles[i] = f->handles[--f->nhandles];
			f->sizes[i] = f->sizes[f->nhandles];
		} else {
			cl.handle = (__u32)edge();
		}
		ioctl(f->fd, RM_NPU_IOCTL_BO_CLOSE, &cl);
		break;
	default: {
		struct rm_npu_bo_mmap m = { 0 };
		size_t pg = npu_page_size(), len;
		off_t off;
		void *p;

		m.handle = f->nhandles && rn(4) ? f->handles[rn(f->nhandles)] :
						  (__u32)edge();
		if (ioctl(f->fd, RM_NPU_IOCTL_BO_MMAP, &m))
			return;
		off = (off_t)m.offset + (off_t)(rn(4) * pg);
		if (!rn(8))
			off += (off_t)rn((uint32_t)pg);
		len = rn(8) ? (1 + rn(4)) * pg : rn(1u << 20);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 rn(8) ? MAP_SHARED : MAP_PRIVATE, f->fd, off);
		if (p == MAP_FAILED)
			return;
		stats[2]++;
		/* An accepted mapping must be backed: touch its ends. */
		((volatile unsigned char *)p)[0] = 1;
		((volatile unsigned char *)p)[len - 1] = 2;
		if (nmaps == MAX_MAPS) {
			i = (int)rn(MAX_MAPS);
			munmap(maps[i].p, maps[i].len);
		} else {
			i = nmaps++;
		}
		maps[i].p = p;
		maps[i].len = len;
		break;
	}
	}
}

/* A command with random fields over the file's buffers. */
static void random_cmd(struct rm_npu_cmd *c, __u32 nbos, const __u64 *sizes,
		       int mutate)
{
	__u32 *w = (__u32 *)c;
	unsigned int i, n;

	memset(c, 0, sizeof(*c));
	switch (mutate ? rn(8) : rn(4)) {
	case 0:
		c->opcode = RM_NPU_OP_NOP;
		break;
	case 1:
		if (nbos) {
			__u32 b = rn(nbos);
			__u64 sz = sizes[b];

			*c = npu_cmd_fill(b, rn((uint32_t)sz), 1 + rn(64),
					  1u << rn(3), rn(256));
			if (!rn(4))
				c->fill.count = edge();
		}
		break;
	case 2:
		if (nbos) {
			__u32 a = rn(nbos), b = rn(nbos);

			*c = npu_cmd_copy(a, rn(256), b, 256 + rn(256),
					  1 + rn(200));
			if (!rn(3))
				c->copy.dims[rn(4)] = (__u32)edge();
			if (!rn(3))
				c->copy.src_stride[rn(4)] = edge();
		}
		break;
	case 3:
		if (nbos)
			*c = npu_cmd_gemm32(rn(nbos), rn(nbos), rn(nbos),
					    1 + rn(16), 1 + rn(16), 1 + rn(16));
		break;
	default:
		/* Plausible opcode, then random small words. */
		c->opcode = rn(10);
		c->flags = rn(4) ? 0 : (__u32)edge();
		n = 2 + rn(30);
		for (i = 2; i < n; i++)
			w[i] = rn(3) ? (rn(2) ? rn(nbos + 2) : rn(64)) :
				       (__u32)edge();
		break;
	}
	if (!mutate)
		return;
	/* Mutate one field of an otherwise valid command. */
	if (!rn(3))
		w[2 + rn(60)] = (__u32)edge();
	if (!rn(16))
		c->opcode = (__u32)edge();
}

#define BATCH_MAX	8

/* Commands and handle lists of the jobs being built (one per batch slot). */
static struct rm_npu_cmd cmds[BATCH_MAX][64];
static __u32 job_handles[BATCH_MAX][72];

/*
 * A random job on @f in @s, its commands and handles in slot @k: half well
 * formed but for at most one command, the rest with random flags, fences
 * and fields. Sets *@valid_args when only a command may be at fault.
 */
static void random_job(struct pe_file *f, unsigned int k,
		       struct rm_npu_submit *s, int *valid_args)
{
	__u32 *handles = job_handles[k];
	__u64 sizes[72] = { 0 };
	__u32 ncmds = 1 + rn(8), nbos = f->nhandles ? rn(f->nhandles + 1) : 0;
	__u32 i, bad;
	int valid;

	memset(job_handles[k], 0, sizeof(job_handles[k]));
	if (!rn(16))
		ncmds = rn(2) ? rn(70) : (__u32)edge();
	/* Distinct handles unless mutated on purpose below. */
	for (i = 0; i < nbos; i++) {
		handles[i] = f->handles[i];
		sizes[i] = f->sizes[i];
	}
	if (nbos && !rn(8))
		handles[rn(nbos)] = rn(2) ? (__u32)edge() : handles[0];
	if (ncmds > 64 && !rn(2))
		ncmds = 64;
	/* Half the jobs are well formed but for at most one command. */
	valid = rn(2);
	bad = valid && rn(2) ? rn(ncmds) : ~0u;
	for (i = 0; i < ncmds && i < 64; i++)
		random_cmd(&cmds[k][i], nbos, sizes, !valid || i == bad);

	npt_submit_args(s, cmds[k], ncmds, handles, nbos, 0, 0);
	*valid_args = valid;
	if (!rn(8))
		s->flags |= RM_NPU_SUBMIT_WAIT;
	if (valid)
		return;
	if (!rn(3))
		s->flags |= RM_NPU_SUBMIT_OUT_FENCE;
	if (!rn(4)) {
		s->flags |= RM_NPU_SUBMIT_IN_FENCE;
		s->in_fence_fd = random_fence_fd();
	}
	if (!rn(16))
		s->flags = (__u32)edge();
	if (!rn(16))
		s->cmd_size = (__u32)edge();
	if (!rn(16))
		s->pad = (__u32)edge();
	if (!rn(16))
		s->pad2 = (__u32)edge();
	if (!rn(16))
		s->num_bos = (__u32)edge();
	if (!rn(32))
		s->cmds = edge();
	if (!rn(32))
		s->bo_handles = edge();
	if (ncmds > 64)
		s->cmds = (__u64)(uintptr_t)(argbuf + ARG_BUF - 256 * rn(4));
}

/* Checks the out fields of a job that was queued, and follows it. */
static void job_queued(struct pe_file *f, const struct rm_npu_submit *s)
{
	if (s->job_id != f->last_id + 1)
		fail_msg("job id %llu after %llu", (unsigned long long)s->job_id,
			 (unsigned long long)f->last_id);
	f->last_id = s->job_id;
	if (s->error_index != RM_NPU_NO_INDEX || s->pad2)
		fail_msg("queued job %llu: error_index %u pad2 %u",
			 (unsigned long long)s->job_id, s->error_index,
			 s->pad2);
	if (s->flags & RM_NPU_SUBMIT_OUT_FENCE)
		track_fence(s->out_fence_fd);
	else if (s->out_fence_fd != -1)
		fail_msg("fence %d without OUT_FENCE", s->out_fence_fd);
	if (s->retired ? (s->retired != 1 || (s->result && s->result != -EINVAL &&
			  s->result != -ETIMEDOUT)) :
	    (s->result || s->result_index != RM_NPU_NO_INDEX || s->duration_ns))
		fail_msg("job %llu: retired %u result %d index %u",
			 (unsigned long long)s->job_id, s->retired, s->result,
			 s->result_index);
	if (f->njobs == MAX_JOBS) {
		struct rm_npu_wait w;

		/* Bounded by the 200 ms watchdog per job ahead. */
		int ret = npt_wait(f->fd, f->jobs[0], -1, &w);

		if (ret)
			fail_msg("WAIT %llu: %s",
				 (unsigned long long)f->jobs[0],
				 strerror(-ret));
		memmove(f->jobs, f->jobs + 1, sizeof(f->jobs[0]) * --f->njobs);
	}
	f->jobs[f->njobs++] = s->job_id;
}

static void fuzz_submit(void)
{
	struct pe_file *f = any_open_pe();
	struct rm_npu_submit s;
	int ret, err, valid;

	random_job(f, 0, &s, &valid);
	ret = npt_submit(f->fd, &s);
	err = -ret;
	stats[3]++;
	if (ret) {
		if (err != EINVAL && err != ENOENT && err != EFAULT &&
		    err != EAGAIN && err != ENOMEM)
			fail_msg("SUBMIT on %s fd %d (flags %#x in %d): %s",
				 f->node, f->fd, s.flags, s.in_fence_fd,
				 strerror(err));
		if (s.job_id || s.out_fence_fd != -1)
			fail_msg("failed SUBMIT: job %llu fence %d",
				 (unsigned long long)s.job_id, s.out_fence_fd);
		if (s.error_index != RM_NPU_NO_INDEX &&
		    (err != EINVAL || s.error_index >= s.num_cmds))
			fail_msg("SUBMIT %s: error_index %u of %u",
				 strerror(err), s.error_index, s.num_cmds);
		return;
	}
	stats[4]++;
	job_queued(f, &s);
}

/*
 * SUBMIT_BATCH of random jobs, elements of the 1.0 size, this build's or
 * a later one's (zero tails, or not), random header fields: on failure
 * nothing is queued and only the failing job's error_index is written.
 */
static void fuzz_batch(void)
{
	static const __u32 esizes[] = { RM_NPU_SUBMIT_SIZE_VER0,
		sizeof(struct rm_npu_submit), sizeof(struct rm_npu_submit),
		sizeof(struct rm_npu_submit) + 8, 128 };
	/*
	 * Room for a zeroed job after the last: a larger num_jobs fails there
	 * (its error_index is written back), not past the buffer.
	 */
	static unsigned char buf[(BATCH_MAX + 1) * 128]
		__attribute__((aligned(8)));
	struct pe_file *f = any_open_pe();
	struct rm_npu_submit jobs[BATCH_MAX], *e;
	struct rm_npu_submit_batch b;
	__u32 n = 1 + rn(BATCH_MAX), esize = esizes[rn(5)], i, tail = ~0u;
	__u32 clean = rn(2), spoilt = rn(2 * n);
	int ret, err, valid, nfds = nfences;

	memset(buf, 0, sizeof(buf));
	for (i = 0; i < n; i++) {
		random_job(f, i, &jobs[i], &valid);
		/* Half the batches: NOP jobs but one, to get whole ones in. */
		if (clean && i != spoilt) {
			cmds[i][0] = npu_cmd_nop();
			npt_submit_args(&jobs[i], cmds[i], 1, NULL, 0,
					jobs[i].flags & (RM_NPU_SUBMIT_WAIT |
							 RM_NPU_SUBMIT_OUT_FENCE),
					0);
		}
		jobs[i].job_id = 0xabc;
		memcpy(buf + i * esize, &jobs[i],
		       esize < sizeof(jobs[i]) ? esize : sizeof(jobs[i]));
	}
	if (esize > sizeof(jobs[0]) && !rn(4)) {
		tail = rn(n);
		buf[tail * esize + sizeof(jobs[0]) + rn(esize - sizeof(jobs[0]))] = 1;
	}
	memset(&b, 0, sizeof(b));
	b.jobs = (__u64)(uintptr_t)buf;
	b.num_jobs = n;
	b.job_size = esize;
	/* Header mutations whose outcome is known: a prefix, or a failure. */
	if (!rn(16))
		b.flags = (__u32)edge() | 1;
	if (!rn(16))
		b.num_jobs = (__u32)edge();
	if (!rn(16)) {
		b.job_size = (__u32)edge();
		if (b.job_size >= RM_NPU_SUBMIT_SIZE_VER0 &&
		    b.job_size <= 4096 && !(b.job_size % 8))
			b.job_size += 4;
	}
	if (!rn(32))
		b.jobs = edge() | 1;
	errno = 0;
	ret = ioctl(f->fd, RM_NPU_IOCTL_SUBMIT_BATCH, &b);
	err = errno;
	stats[6]++;
	if (ret) {
		if (err != EINVAL && err != ENOENT && err != EFAULT &&
		    err != EAGAIN && err != ENOMEM && err != E2BIG &&
		    err != EMFILE)
			fail_msg("SUBMIT_BATCH on %s: %s", f->node,
				 strerror(err));
		/* All elements are read first: any of them may be at fault. */
		if (b.error_job != RM_NPU_NO_INDEX &&
		    b.error_job >= b.num_jobs)
			fail_msg("SUBMIT_BATCH %s: error_job %u of %u",
				 strerror(err), b.error_job, b.num_jobs);
		for (i = 0; i < n && b.jobs == (__u64)(uintptr_t)buf; i++) {
			e = (struct rm_npu_submit *)(buf + i * esize);
			if (b.job_size != esize)
				break;
			if (e->job_id != 0xabc || e->out_fence_fd !=
			    jobs[i].out_fence_fd)
				fail_msg("failed SUBMIT_BATCH wrote job %u", i);
			if (i != b.error_job &&
			    e->error_index != jobs[i].error_index)
				fail_msg("failed SUBMIT_BATCH wrote job %u's "
					 "error_index", i);
		}
		if (nfences != nfds)
			fail_msg("fences changed");
		return;
	}
	if (!b.num_jobs || b.num_jobs > n || b.job_size != esize || b.flags ||
	    b.jobs != (__u64)(uintptr_t)buf || b.error_job != RM_NPU_NO_INDEX)
		fail_msg("SUBMIT_BATCH of %u x %u bytes succeeded with %u x %u, flags %#x, error_job %u",
			 n, esize, b.num_jobs, b.job_size, b.flags,
			 b.error_job);
	if (tail < b.num_jobs)
		fail_msg("SUBMIT_BATCH accepted job %u's nonzero tail", tail);
	stats[7]++;
	for (i = 0; i < b.num_jobs; i++) {
		memset(&jobs[i], 0, sizeof(jobs[i]));
		memcpy(&jobs[i], buf + i * esize,
		       esize < sizeof(jobs[i]) ? esize : sizeof(jobs[i]));
		if (esize < sizeof(jobs[i]))
			jobs[i].result_index = RM_NPU_NO_INDEX;
		job_queued(f, &jobs[i]);
	}
}

static void fuzz_wait(void)
{
	struct pe_file *f = any_open_pe();
	struct rm_npu_wait w;
	__u64 id;
	int ret;

	id = f->njobs && rn(2) ? f->jobs[rn(f->njobs)] : edge();
	memset(&w, 0, sizeof(w));
	w.job_id = id;
	w.timeout_ns = rn(2) ? 0 : (long long)rn(2000000);
	if (!rn(16))
		w.flags = (__u32)edge();
	if (!rn(16))
		w.pad = (__u32)edge();
	ret = ioctl(f->fd, RM_NPU_IOCTL_WAIT, &w);
	stats[5]++;
	if ((w.flags & ~RM_NPU_WAIT_FLAGS) || w.pad) {
		if (ret != -1 || errno != EINVAL)
			fail_msg("WAIT with flags/pad: %d %s", ret,
				 strerror(errno));
		return;
	}
	if (!id || id > f->last_id) {
		if (ret != -1 || errno != ENOENT)
			fail_msg("WAIT unknown id %llu (last %llu): %d %s",
				 (unsigned long long)id,
				 (unsigned long long)f->last_id, ret,
				 strerror(errno));
		return;
	}
	if (ret && errno != ETIMEDOUT && errno != ENODATA)
		fail_msg("WAIT %llu: %s", (unsigned long long)id,
			 strerror(errno));
	if (!ret && w.result && w.result != -ETIMEDOUT &&
	    w.result != -EINVAL && w.result != -ECANCELED)
		fail_msg("job %llu result %d", (unsigned long long)id,
			 w.result);
}

static void fuzz_misc(void)
{
	struct pe_file *f = &pes[rn(3)];
	struct rm_npu_info info;
	int i;

	switch (rn(6)) {
	case 0:
		/* Close a node, jobs, buffers and maps and all. */
		pe_close(f);
		break;
	case 1:
		pe_open(f);
		break;
	case 2:
		if (nmaps) {
			i = (int)rn(nmaps);
			munmap(maps[i].p, maps[i].len);
			maps[i] = maps[--nmaps];
		}
		break;
	case 3:
		if (nfences) {
			i = (int)rn(nfences);
			close(fences[i]);
			fences[i] = fences[--nfences];
		}
		break;
	default:
		memset(&info, 0, sizeof(info));
		assert_ok(ioctl(mgmt_fd, RM_NPU_IOCTL_GET_INFO, &info));
		assert_int_equal(info.node_type, RM_NPU_NODE_MGMT);
		break;
	}
}

static void test_fuzz(void **state)
{
	const char *e = getenv("NPU_FUZZ_SEED");
	long iters = DEFAULT_ITERS, i;
	long long t0 = npu_now_ns();
	size_t pg = npu_page_size();
	int k;

	(void)state;
	if (e && !strcmp(e, "random"))
		rng = (uint64_t)npu_now_ns() ^ (uint64_t)getpid();
	else
		rng = e ? strtoull(e, NULL, 0) : 0x5eed0f2aULL;
	if (!rng)
		rng = 1;
	e = getenv("NPU_FUZZ_ITERS");
	if (e)
		iters = strtol(e, NULL, 0);
	print_message("test_fuzz: NPU_FUZZ_SEED=%#llx NPU_FUZZ_ITERS=%ld\n",
		      (unsigned long long)rng, iters);
	assert_int_equal(npu_param("job_timeout_ms"), 200);

	argbuf = mmap(NULL, ARG_BUF + pg, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(argbuf != MAP_FAILED);
	assert_ok(mprotect(argbuf + ARG_BUF, pg, PROT_NONE));
	mgmt_fd = npu_open("npu0");
	pe_open(&pes[0]);
	pe_open(&pes[1]);

	for (i = 0; i < iters; i++) {
		switch (rn(10)) {
		case 0:
		case 1:
			fuzz_raw_ioctl();
			break;
		case 2:
		case 3:
		case 4:
			fuzz_bo();
			break;
		case 5:
		case 6:
			fuzz_submit();
			break;
		case 7:
			fuzz_batch();
			break;
		case 8:
			fuzz_wait();
			break;
		default:
			if (!rn(4))
				fuzz_misc();
			else
				fuzz_wait();
			break;
		}
	}
	print_message("test_fuzz: %ld iterations in %.1f s: %lld raw ioctls, %lld BOs, %lld maps, %lld submits (%lld queued), %lld batches (%lld queued), %lld waits\n",
		      iters, (double)(npu_now_ns() - t0) / 1e9, stats[0],
		      stats[1], stats[2], stats[3], stats[4], stats[6],
		      stats[7], stats[5]);

	/* Everything goes back. */
	for (k = 0; k < 3; k++)
		pe_close(&pes[k]);
	unmap_all();
	while (nfences)
		close(fences[--nfences]);
	close(mgmt_fd);
	assert_int_equal(npu_mem_used(0), 0);
	assert_int_equal(npu_bo_count(0), 0);
	for (k = 0; k < 2; k++) {
		char pe[16];

		snprintf(pe, sizeof(pe), "npu0pe%d", k);
		assert_sysfs(pe, "state", "free");
	}
	/* And the PEs still work. */
	{
		int fd = npu_open("npu0pe0-1");
		struct npu_long l;

		npu_long_init(fd, &l);
		npu_long_check(fd, &l);
		close(fd);
	}
}

/* --- Threads racing on one file ---------------------------------------- */

#define RACE_THREADS	5
#define RACE_HANDLES	24

static int race_fd, race_fd1;
static long race_iters;
static _Atomic int race_fence = -1;
static _Atomic long race_queued;
static _Atomic int race_bad;	/* line of the first unexpected result */
static _Atomic int race_errno;
/* Handles the BO thread created (cyclic allocation: they keep growing). */
static _Atomic __u32 race_handles[RACE_HANDLES];

static __u32 race_handle(void)
{
	return rn(8) ? race_handles[rn(RACE_HANDLES)] : 1 + rn(1u << 20);
}

static void race_fail(int line, int err)
{
	int zero = 0;

	if (atomic_compare_exchange_strong(&race_bad, &zero, line))
		race_errno = err;
}

static int race_errno_ok(int err, int queued_ok)
{
	return err == EINVAL || err == ENOENT || (queued_ok && err == EAGAIN);
}

/* Up to four copies of job @s in one SUBMIT_BATCH. */
static void race_batch(int fd, const struct rm_npu_submit *s)
{
	struct rm_npu_submit jobs[4];
	struct rm_npu_submit_batch b;
	__u32 n = 1 + rn(4), i;
	int old, ret;

	for (i = 0; i < n; i++)
		jobs[i] = *s;
	ret = npt_batch(fd, jobs, n, sizeof(jobs[0]), &b);
	if (ret) {
		if (!race_errno_ok(-ret, 1))
			race_fail(__LINE__, -ret);
		return;
	}
	race_queued += n;
	for (i = 0; i < n; i++) {
		if (jobs[i].job_id != jobs[0].job_id + i)
			race_fail(__LINE__, 0);
		if (jobs[i].out_fence_fd < 0)
			continue;
		old = atomic_exchange(&race_fence, jobs[i].out_fence_fd);
		if (old >= 0)
			close(old);
	}
}

/* Small valid-looking jobs over guessed handles, fences in and out. */
static void race_submit(int fd, int use_in_fence)
{
	struct rm_npu_cmd c[4];
	__u32 h[3] = { race_handle(), race_handle(), race_handle() };
	struct rm_npu_submit s;
	__u32 n = 1 + rn(4), i;
	int old, ret;

	for (i = 0; i < n; i++) {
		switch (rn(4)) {
		case 0:
			c[i] = npu_cmd_nop();
			break;
		case 1:
			c[i] = npu_cmd_fill(rn(3), rn(4096), 1 + rn(4096), 1,
					    rn(256));
			break;
		case 2:
			c[i] = npu_cmd_copy(0, rn(1024), 1, rn(1024),
					    1 + rn(2048));
			break;
		default:
			c[i] = npu_cmd_gemm32(0, 1, 2, 1 + rn(32), 1 + rn(32),
					      1 + rn(32));
			break;
		}
	}
	npt_submit_args(&s, c, n, h, 3, rn(2) ? RM_NPU_SUBMIT_OUT_FENCE : 0,
			0);
	if (!rn(4))
		s.flags |= RM_NPU_SUBMIT_WAIT;
	if (use_in_fence && rn(2)) {
		s.flags |= RM_NPU_SUBMIT_IN_FENCE;
		s.in_fence_fd = race_fence;
	}
	if (!rn(3)) {
		race_batch(fd, &s);
		return;
	}
	ret = npt_submit(fd, &s);
	if (ret) {
		if (!race_errno_ok(-ret, 1))
			race_fail(__LINE__, -ret);
		return;
	}
	race_queued++;
	if (s.out_fence_fd >= 0) {
		old = atomic_exchange(&race_fence, s.out_fence_fd);
		if (old >= 0)
			close(old);
	}
}

static void *race_thread(void *arg)
{
	long k = (long)(intptr_t)arg, i;
	size_t pg = npu_page_size();

	rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(k + 1) ^ (uint64_t)npu_now_ns();
	for (i = 0; i < race_iters && !race_bad; i++) {
		switch (k) {
		case 0:
			race_submit(race_fd, 0);
			break;
		case 1:
			race_submit(race_fd1, 1);
			break;
		case 2: {
			struct rm_npu_bo_create c = { .size = 1 + rn(65536) };
			struct rm_npu_bo_close cl = { 0 };
			__u32 slot = rn(RACE_HANDLES);

			if (rn(2)) {
				if (ioctl(race_fd, RM_NPU_IOCTL_BO_CREATE, &c)) {
					if (errno != ENOMEM)
						race_fail(__LINE__, errno);
					break;
				}
				cl.handle = atomic_exchange(&race_handles[slot],
							    c.handle);
			} else {
				cl.handle = atomic_exchange(&race_handles[slot],
							    0);
			}
			if (cl.handle &&
			    ioctl(race_fd, RM_NPU_IOCTL_BO_CLOSE, &cl))
				race_fail(__LINE__, errno);
			break;
		}
		case 3: {
			struct rm_npu_wait w;

			int ret = npt_wait(rn(2) ? race_fd : race_fd1,
					   1 + rn(2000), rn(2) ? 0 : 100000,
					   &w);

			if (ret && ret != -ENOENT && ret != -ENODATA &&
			    ret != -ETIMEDOUT)
				race_fail(__LINE__, -ret);
			break;
		}
		default: {
			struct rm_npu_bo_mmap m = {
				.handle = race_handle() };
			volatile unsigned char *p;

			if (ioctl(race_fd, RM_NPU_IOCTL_BO_MMAP, &m))
				break;
			p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED,
				 race_fd, (off_t)m.offset);
			if (p == MAP_FAILED)
				break;
			p[rn((uint32_t)pg)] ^= 1;
			munmap((void *)p, pg);
			break;
		}
		}
	}
	return NULL;
}

/*
 * Threads race SUBMIT (with fences across two files), BO_CREATE/BO_CLOSE
 * of the handles the jobs name, WAIT and mmap on the same files; then both
 * files close with jobs in flight.
 */
static void test_fuzz_threads(void **state)
{
	pthread_t t[RACE_THREADS];
	const char *e = getenv("NPU_FUZZ_ITERS");
	long k;
	int f;

	(void)state;
	race_iters = (e ? strtol(e, NULL, 0) : DEFAULT_ITERS) / 20;
	race_fd = npu_open("npu0pe0");
	race_fd1 = npu_open("npu0pe1");
	for (k = 0; k < RACE_THREADS; k++)
		assert_int_equal(pthread_create(&t[k], NULL, race_thread,
						(void *)(intptr_t)k), 0);
	for (k = 0; k < RACE_THREADS; k++)
		assert_int_equal(pthread_join(t[k], NULL), 0);
	if (race_bad)
		fail_msg("test_fuzz.c:%d: unexpected %s", race_bad,
			 strerror(race_errno));
	close(race_fd);
	close(race_fd1);
	f = atomic_exchange(&race_fence, -1);
	if (f >= 0)
		close(f);
	print_message("test_fuzz_threads: %ld iterations per thread, %ld jobs queued\n",
		      race_iters, (long)race_queued);
	assert_int_equal(npu_mem_used(0), 0);
	assert_int_equal(npu_bo_count(0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_fuzz, npu_close_fds),
		cmocka_unit_test_teardown(test_fuzz_threads, npu_close_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
