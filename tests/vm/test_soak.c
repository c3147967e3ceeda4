// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_soak: several processes, each with several threads, submit mixed
 * random jobs (FILL, COPY, GEMM, CONV2D, POOL2D, ELTWISE, LUT from
 * tests/common/npu_ref.c) to every PE and fused node of npu0 for a bounded
 * time, while the parent SIGKILLs random workers and starts new ones.
 *
 * The nodes are scheduled in two halves, {pe0, pe1, pe0-1} and {pe2, pe3,
 * pe2-3}: a half runs either two workers (one per PE) or one worker on the
 * fused node (a fused node and its members are exclusive), and once every
 * worker of a half has exited or been killed, the half is rescheduled in a
 * random mode.
 *
 * Checked: every completed job's buffers byte for byte against the naive
 * references; in every worker that ran to its end, the job ids SUBMIT gave
 * are exactly 1..N (none lost or duplicated), each WAITed exactly once and
 * successful; workers that were not killed exit 0; at the end device memory
 * and buffer count are back to 0 and every node is free and opens again.
 *
 * Expects num_pes=4. NPU_SOAK_SECONDS (default 30), seed RM_NPU_TEST_SEED.
 * Prints: jobs checked, jobs submitted, workers, kills.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include <inttypes.h>

#include "job_util.h"
#include "npu_ref.h"

#define SOAK_HALVES	2
#define SOAK_THREADS	3
#define SOAK_MAX_IDS	65536
#define SOAK_JOB_CMDS	3
#define SOAK_BATCH	3

/* Shared with the workers (MAP_SHARED): counters and the first failure. */
struct soak_shared {
	long long jobs_checked;
	long long jobs_submitted;
	long long ops[RM_NPU_OP_COUNT];
	long long open_retries;
	int failed;
	char msg[512];
};

static struct soak_shared *sh;

static void sh_add(long long *p, long long v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

/* --- Workers: plain syscalls only (no cmocka asserts in a child) ------ */

struct worker {
	int fd;
	const char *node;
	long long deadline;
	pthread_mutex_t lock;		/* the rng of npu_ref.c, ids */
	unsigned char *submitted;	/* per job id: times SUBMIT gave it */
	unsigned char *waited;		/* per job id: statuses received */
	__u64 max_id;
};

static void __attribute__((noreturn, format(printf, 2, 3)))
wfail(struct worker *w, const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!__atomic_exchange_n(&sh->failed, 1, __ATOMIC_SEQ_CST))
		snprintf(sh->msg, sizeof(sh->msg), "worker %d on %s: %s",
			 (int)getpid(), w->node, buf);
	_exit(1);
}

/* A job in flight: its commands, world, expected world and buffers. */
struct sjob {
	u32 n;
	struct rm_npu_cmd cmd[SOAK_JOB_CMDS];
	struct npu_world w, want;
	__u32 handle[NPU_WORLD_MAX_BOS];
	u8 *map[NPU_WORLD_MAX_BOS];
	__u64 id;
};

static void sjob_gen(struct worker *wk, struct sjob *j)
{
	static const u32 ops[] = {
		RM_NPU_OP_GEMM, RM_NPU_OP_CONV2D, RM_NPU_OP_ELTWISE,
		RM_NPU_OP_LUT, RM_NPU_OP_COPY, RM_NPU_OP_FILL,
		RM_NPU_OP_POOL2D,
	};
	u32 i;
	int ret;

	memset(j, 0, sizeof(*j));
	pthread_mutex_lock(&wk->lock);
	j->n = npu_rr(1, SOAK_JOB_CMDS);
	for (i = 0; i < j->n; i++) {
		u32 op = ops[npu_rr(0, sizeof(ops) / sizeof(ops[0]) - 1)];

		if (op == RM_NPU_OP_GEMM)
			npu_gen_gemm(&j->cmd[i], &j->w, 48, 64);
		else
			npu_gen_any(&j->cmd[i], &j->w, op);
		sh_add(&sh->ops[op], 1);
	}
	npu_w_pad(&j->w, npu_page_size());
	pthread_mutex_unlock(&wk->lock);

	npu_w_clone(&j->want, &j->w);
	for (i = 0; i < j->n; i++) {
		ret = npu_ref_exec(&j->cmd[i], j->want.buf);
		if (ret)
			wfail(wk, "reference of opcode %u: %d", j->cmd[i].opcode,
			      ret);
	}
}

static void sjob_bos(struct worker *wk, struct sjob *j)
{
	u32 i;

	for (i = 0; i < j->w.n; i++) {
		struct rm_npu_bo_create cr = { .size = j->w.size[i] };
		struct rm_npu_bo_mmap m = { 0 };
		void *p;

		if (ioctl(wk->fd, RM_NPU_IOCTL_BO_CREATE, &cr))
			wfail(wk, "BO_CREATE %llu: %s",
			      (unsigned long long)cr.size, strerror(errno));
		j->handle[i] = cr.handle;
		m.handle = cr.handle;
		if (ioctl(wk->fd, RM_NPU_IOCTL_BO_MMAP, &m))
			wfail(wk, "BO_MMAP: %s", strerror(errno));
		p = mmap(NULL, j->w.size[i], PROT_READ | PROT_WRITE,
			 MAP_SHARED, wk->fd, (off_t)m.offset);
		if (p == MAP_FAILED)
			wfail(wk, "mmap: %s", strerror(errno));
		j->map[i] = p;
		memcpy(p, j->w.buf[i], j->w.size[i]);
	}
}

static void sjob_submit(struct worker *wk, struct sjob *j)
{
	struct rm_npu_submit s;

	npt_submit_args(&s, j->cmd, j->n, j->handle, j->w.n, 0, 0);
	if (ioctl(wk->fd, RM_NPU_IOCTL_SUBMIT, &s))
		wfail(wk, "SUBMIT of %u cmds (opcode %u): %s, index %u", j->n,
		      j->cmd[0].opcode, strerror(errno), s.error_index);
	if (!s.job_id || s.job_id >= SOAK_MAX_IDS)
		wfail(wk, "SUBMIT gave job id %llu",
		      (unsigned long long)s.job_id);
	j->id = s.job_id;
	pthread_mutex_lock(&wk->lock);
	if (wk->submitted[j->id]++)
		wfail(wk, "job id %llu given twice", (unsigned long long)j->id);
	if (j->id > wk->max_id)
		wk->max_id = j->id;
	pthread_mutex_unlock(&wk->lock);
	sh_add(&sh->jobs_submitted, 1);
}

static void sjob_wait_check(struct worker *wk, struct sjob *j)
{
	struct rm_npu_wait w;
	u32 i;
	u64 b;

	int ret = npt_wait(wk->fd, j->id, -1, &w);

	if (ret)
		wfail(wk, "WAIT job %llu: %s", (unsigned long long)j->id,
		      strerror(-ret));
	if (w.result || w.error_index != RM_NPU_NO_INDEX || w.pad)
		wfail(wk, "job %llu (opcode %u): result %d index %u",
		      (unsigned long long)j->id, j->cmd[0].opcode, w.result,
		      w.error_index);
	pthread_mutex_lock(&wk->lock);
	if (wk->waited[j->id]++)
		wfail(wk, "job %llu waited twice", (unsigned long long)j->id);
	pthread_mutex_unlock(&wk->lock);
	for (i = 0; i < j->w.n; i++) {
		if (memcmp(j->map[i], j->want.buf[i], j->want.size[i])) {
			for (b = 0; b < j->want.size[i]; b++)
				if (j->map[i][b] != j->want.buf[i][b])
					break;
			wfail(wk, "job %llu (%u cmds, opcode %u): bo %u byte %llu got %#x want %#x",
			      (unsigned long long)j->id, j->n,
			      j->cmd[0].opcode, i, (unsigned long long)b,
			      j->map[i][b], j->want.buf[i][b]);
		}
	}
	for (i = 0; i < j->w.n; i++) {
		struct rm_npu_bo_close cl = { .handle = j->handle[i] };

		munmap(j->map[i], j->w.size[i]);
		if (ioctl(wk->fd, RM_NPU_IOCTL_BO_CLOSE, &cl))
			wfail(wk, "BO_CLOSE: %s", strerror(errno));
	}
	npu_w_free(&j->w);
	npu_w_free(&j->want);
	sh_add(&sh->jobs_checked, 1);
}

static void *worker_thread(void *arg)
{
	struct worker *wk = arg;
	struct sjob *jobs = calloc(SOAK_BATCH, sizeof(*jobs));
	u32 n, i, k;

	if (!jobs)
		wfail(wk, "out of memory");
	while (npu_now_ns() < wk->deadline && wk->max_id < SOAK_MAX_IDS - 64) {
		pthread_mutex_lock(&wk->lock);
		n = npu_rr(1, SOAK_BATCH);
		k = npu_rr(0, n - 1);
		pthread_mutex_unlock(&wk->lock);
		for (i = 0; i < n; i++) {
			sjob_gen(wk, &jobs[i]);
			sjob_bos(wk, &jobs[i]);
			sjob_submit(wk, &jobs[i]);
		}
		/* Waits in a rotated order: not always oldest first. */
		for (i = 0; i < n; i++)
			sjob_wait_check(wk, &jobs[(i + k) % n]);
	}
	free(jobs);
	return NULL;
}

static void __attribute__((noreturn))
worker_main(const char *node, u64 seed, long long deadline)
{
	struct worker wk = { .node = node, .deadline = deadline };
	pthread_t th[SOAK_THREADS];
	int i, tries;
	__u64 id;

	npu_rng_state = seed | 1;
	pthread_mutex_init(&wk.lock, NULL);
	wk.submitted = calloc(SOAK_MAX_IDS, 1);
	wk.waited = calloc(SOAK_MAX_IDS, 1);
	if (!wk.submitted || !wk.waited)
		wfail(&wk, "out of memory");
	/* The previous holder is reaped, so its file is released; allow a
	 * moment anyway and count it. */
	for (tries = 0;; tries++) {
		wk.fd = npu_try_open(node);
		if (wk.fd >= 0)
			break;
		if (wk.fd != -EBUSY || tries >= 500)
			wfail(&wk, "open: %s", strerror(-wk.fd));
		sh_add(&sh->open_retries, 1);
		npu_sleep_ms(10);
	}
	for (i = 0; i < SOAK_THREADS; i++)
		if (pthread_create(&th[i], NULL, worker_thread, &wk))
			wfail(&wk, "pthread_create");
	for (i = 0; i < SOAK_THREADS; i++)
		pthread_join(th[i], NULL);
	/* Ids count up from 1 per file: exactly 1..max, each waited once. */
	for (id = 1; id <= wk.max_id; id++)
		if (wk.submitted[id] != 1 || wk.waited[id] != 1)
			wfail(&wk, "job id %llu: submitted %u times, waited %u times (max id %llu)",
			      (unsigned long long)id, wk.submitted[id],
			      wk.waited[id], (unsigned long long)wk.max_id);
	close(wk.fd);
	_exit(0);
}

/* --- Parent ------------------------------------------------------------ */

struct slot {
	pid_t pid;
	long long kill_at;	/* 0: runs to its end */
	int killed;
	char node[16];
};

struct half {
	int nslots;
	struct slot s[2];
	int active;
};

static long long kills, workers, normal_exits, fused_runs, split_runs;

static void half_start(struct half *h, int idx, long long end)
{
	long long now = npu_now_ns(), life, dl;
	int i, fused = npu_coin(40);

	h->nslots = fused ? 1 : 2;
	if (fused) {
		snprintf(h->s[0].node, sizeof(h->s[0].node), "npu0pe%d-%d",
			 2 * idx, 2 * idx + 1);
		fused_runs++;
	} else {
		for (i = 0; i < 2; i++)
			snprintf(h->s[i].node, sizeof(h->s[i].node),
				 "npu0pe%d", 2 * idx + i);
		split_runs++;
	}
	for (i = 0; i < h->nslots; i++) {
		struct slot *s = &h->s[i];
		u64 seed = npu_rnd();

		life = (long long)npu_rr(500, 4000) * NS_PER_MS;
		dl = now + life < end ? now + life : end;
		s->killed = 0;
		s->kill_at = npu_coin(45) ?
			now + (long long)npu_rr(50, 3000) * NS_PER_MS : 0;
		fflush(stdout);
		s->pid = fork();
		assert_true(s->pid >= 0);
		if (!s->pid)
			worker_main(s->node, seed, dl);
		workers++;
	}
	h->active = h->nslots;
}

/* Handles the exit of @pid; returns 1 if it was one of @h's workers. */
static int half_reap(struct half *h, pid_t pid, int status)
{
	int i;

	for (i = 0; i < h->nslots; i++) {
		struct slot *s = &h->s[i];

		if (s->pid != pid)
			continue;
		s->pid = 0;
		h->active--;
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
		    s->killed)
			return 1;
		if (WIFEXITED(status) && !WEXITSTATUS(status)) {
			normal_exits++;
			return 1;
		}
		fail_msg("worker %d on %s: status %#x: %s", (int)pid, s->node,
			 status, sh->failed ? sh->msg : "(no message)");
	}
	return 0;
}

static void assert_mem_drains(void)
{
	int i;

	for (i = 0; i < 2000; i++) {
		if (!npu_mem_used(0) && !npu_bo_count(0))
			return;
		npu_sleep_ms(5);
	}
	fail_msg("mem_used %lld bo_count %lld 10 s after the end",
		 npu_mem_used(0), npu_bo_count(0));
}

static void test_soak(void **state)
{
	static const char *const nodes[] = {
		"npu0pe0", "npu0pe1", "npu0pe2", "npu0pe3",
		"npu0pe0-1", "npu0pe2-3",
	};
	const char *env = getenv("NPU_SOAK_SECONDS");
	long long secs = env && *env ? atoll(env) : 30, end, now;
	struct half halves[SOAK_HALVES];
	int i, h, status, fd;
	unsigned int k;
	pid_t pid;

	(void)state;
	assert_int_equal(npu_param("num_pes"), 4);
	npu_seed_env("test_soak", 0x50a4c0de);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(sh != MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	memset(halves, 0, sizeof(halves));
	assert_int_equal(npu_mem_used(0), 0);
	assert_int_equal(npu_bo_count(0), 0);

	end = npu_now_ns() + secs * NS_PER_S;
	for (;;) {
		now = npu_now_ns();
		for (h = 0; h < SOAK_HALVES; h++) {
			struct half *hf = &halves[h];

			if (!hf->active && now < end)
				half_start(hf, h, end);
			for (i = 0; i < hf->nslots; i++) {
				struct slot *s = &hf->s[i];

				if (s->pid && s->kill_at && !s->killed &&
				    now >= s->kill_at) {
					assert_ok(kill(s->pid, SIGKILL));
					s->killed = 1;
					kills++;
				}
			}
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (h = 0; h < SOAK_HALVES; h++)
				if (half_reap(&halves[h], pid, status))
					break;
			if (h == SOAK_HALVES)
				fail_msg("unknown child %d", (int)pid);
		}
		if (sh->failed)
			break;
		if (now >= end && !halves[0].active && !halves[1].active)
			break;
		if (now >= end + 120 * NS_PER_S)
			fail_msg("workers still running 120 s after the end");
		npu_sleep_ms(10);
	}
	if (sh->failed) {
		for (h = 0; h < SOAK_HALVES; h++)
			for (i = 0; i < halves[h].nslots; i++)
				if (halves[h].s[i].pid)
					kill(halves[h].s[i].pid, SIGKILL);
		while (wait(NULL) > 0)
			;
		fail_msg("%s", sh->msg);
	}

	printf("test_soak: %lld s: jobs checked %lld, jobs submitted %lld, workers %lld (%lld ran to the end), kills %lld, split/fused schedules %lld/%lld, open retries %lld\n",
	       secs, sh->jobs_checked, sh->jobs_submitted, workers,
	       normal_exits, kills, split_runs, fused_runs, sh->open_retries);
	printf("test_soak: commands by opcode:");
	for (k = 1; k < RM_NPU_OP_COUNT; k++)
		printf(" %u:%lld", k, sh->ops[k]);
	printf("\n");
	fflush(stdout);

	assert_true(sh->jobs_checked > 0);
	assert_true(normal_exits > 0);
	assert_mem_drains();
	for (k = 0; k < sizeof(nodes) / sizeof(nodes[0]); k++) {
		if (k < 4)
			assert_sysfs(nodes[k], "state", "free");
		fd = npu_open(nodes[k]);
		close(fd);
	}
	munmap(sh, sizeof(*sh));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_soak, npu_close_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
