// SPDX-License-Identifier: MIT
/*
 * npu_backend.c - devices behind the rm_npu uAPI: GET_INFO checks, memory
 * as buffer objects mapped into the process (sub-allocated in chunks), and
 * jobs: with a 1.1 driver one call per run (SUBMIT with RM_NPU_SUBMIT_WAIT,
 * SUBMIT_BATCH when the program spans several jobs), else SUBMIT and WAIT.
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "device.h"
#include "profiler.h"

#define NPU_CHUNK_SIZE		(4ULL << 20)
#define NPU_EAGAIN_SLEEP_US	200

static int npu_ioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

static int npu_chunk_create(void *ctx, uint64_t size, uint32_t *handle,
			    void **map, uint64_t *map_size)
{
	npurt_device *dev = ctx;
	struct rm_npu_bo_create create = { .size = size };
	struct rm_npu_bo_mmap mm = { 0 };
	struct rm_npu_bo_close cl = { 0 };
	void *p;
	int ret;

	ret = npu_ioctl(dev->fd, RM_NPU_IOCTL_BO_CREATE, &create);
	if (ret)
		return npurt_err(ret, "%s: BO_CREATE of %llu bytes: %s",
				 dev->info.name, (unsigned long long)size,
				 npurt_strerror(ret));
	mm.handle = create.handle;
	ret = npu_ioctl(dev->fd, RM_NPU_IOCTL_BO_MMAP, &mm);
	p = ret ? MAP_FAILED : mmap(NULL, create.alloc_size,
				    PROT_READ | PROT_WRITE, MAP_SHARED,
				    dev->fd, (off_t)mm.offset);
	if (p == MAP_FAILED) {
		ret = ret ? ret : -errno;
		cl.handle = create.handle;
		npu_ioctl(dev->fd, RM_NPU_IOCTL_BO_CLOSE, &cl);
		return npurt_err(ret, "%s: mapping a buffer object: %s",
				 dev->info.name, npurt_strerror(ret));
	}
	*handle = create.handle;
	*map = p;
	*map_size = create.alloc_size;
	return 0;
}

static void npu_chunk_destroy(void *ctx, uint32_t handle, void *map,
			      uint64_t map_size)
{
	npurt_device *dev = ctx;
	struct rm_npu_bo_close cl = { .handle = handle };

	munmap(map, map_size);
	npu_ioctl(dev->fd, RM_NPU_IOCTL_BO_CLOSE, &cl);
}

static const struct npurt_chunk_ops npu_chunk_ops = {
	.create = npu_chunk_create,
	.destroy = npu_chunk_destroy,
};

static int npu_mem_alloc(npurt_device *dev, uint64_t size,
			 struct npurt_mem *mem)
{
	int ret = npurt_pool_alloc(&dev->pool, size, mem);

	if (ret == -ENOMEM)
		return npurt_err(ret, "%s: device memory exhausted (%llu "
				 "bytes asked)", dev->info.name,
				 (unsigned long long)size);
	return ret ? npurt_err(ret, "%s: bad allocation size %llu",
			       dev->info.name, (unsigned long long)size) : 0;
}

static void npu_mem_free(npurt_device *dev, struct npurt_mem *mem)
{
	npurt_pool_free(&dev->pool, mem);
}

static int npu_submit(npurt_device *dev, const struct npurt_job *job,
		      uint32_t first, uint32_t count, uint64_t *job_id)
{
	struct rm_npu_submit s = {
		.cmds = (uintptr_t)(job->cmds + first),
		.bo_handles = (uintptr_t)job->handles,
		.num_cmds = count,
		.num_bos = job->num_bufs,
		.cmd_size = sizeof(struct rm_npu_cmd),
	};
	int ret;

	/* The file's in-flight limit is transient: wait for room. */
	while ((ret = npu_ioctl(dev->fd, RM_NPU_IOCTL_SUBMIT, &s)) == -EAGAIN)
		usleep(NPU_EAGAIN_SLEEP_US);
	if (ret == -EINVAL && s.error_index != RM_NPU_NO_INDEX)
		return npurt_err(ret, "%s: SUBMIT rejected command %u",
				 dev->info.name, first + s.error_index);
	if (ret)
		return npurt_err(ret, "%s: SUBMIT: %s", dev->info.name,
				 npurt_strerror(ret));
	*job_id = s.job_id;
	return 0;
}

/* The status of a retired job (WAIT's, or SUBMIT's own): 0 or its error. */
static int npu_job_status(npurt_device *dev, uint64_t job_id, uint32_t first,
			  int result, uint32_t index)
{
	if (result && index != RM_NPU_NO_INDEX)
		return npurt_err(result, "%s: job %llu failed at command "
				 "%u: %s", dev->info.name,
				 (unsigned long long)job_id, first + index,
				 npurt_strerror(result));
	if (result)
		return npurt_err(result, "%s: job %llu failed: %s",
				 dev->info.name, (unsigned long long)job_id,
				 npurt_strerror(result));
	return 0;
}

static int npu_wait(npurt_device *dev, uint64_t job_id, uint32_t first,
		    uint64_t *duration_ns)
{
	struct rm_npu_wait w = { .job_id = job_id, .timeout_ns = -1 };
	int ret = npu_ioctl(dev->fd, RM_NPU_IOCTL_WAIT, &w);

	if (ret)
		return npurt_err(ret, "%s: WAIT job %llu: %s", dev->info.name,
				 (unsigned long long)job_id, npurt_strerror(ret));
	*duration_ns = w.duration_ns;
	return npu_job_status(dev, job_id, first, w.result, w.error_index);
}

#define NPU_MAX_PARTS	64

/* A job's span on its PE's track in the profile, ending now. */
static void npu_prof_job(npurt_device *dev, uint64_t job_id, uint64_t dur)
{
	uint64_t t1 = npurt_now_ns();

	if (dur)	/* the job ran */
		npurt_prof_span(dev->rt, "job", npurt_prof_dev_track(dev),
				t1 - (dur < t1 ? dur : 0), t1, "job %llu on %s",
				(unsigned long long)job_id, dev->info.name);
}

/*
 * ABI 1.0: every part through SUBMIT, then WAIT for each. Every job
 * submitted is waited for, even after an error, so no buffer is reused
 * while the device still runs on it.
 */
static int npu_run_ver0(npurt_device *dev, const struct npurt_job *job)
{
	uint64_t ids[NPU_MAX_PARTS], dur, t0;
	uint32_t firsts[NPU_MAX_PARTS], first = 0;
	unsigned int parts = 0, i;
	int ret = 0, wret;

	t0 = npurt_now_ns();
	while (first < job->num_cmds && !ret) {
		uint32_t n = job->num_cmds - first;

		if (n > dev->max_cmds)
			n = dev->max_cmds;
		ret = npu_submit(dev, job, first, n, &ids[parts]);
		if (!ret)
			firsts[parts++] = first;
		first += n;
	}
	npurt_prof_span(dev->rt, "submit", NPURT_PROF_THREAD, t0,
			npurt_now_ns(), "%u job(s), %u commands", parts,
			job->num_cmds);
	for (i = 0; i < parts; i++) {
		dur = 0;
		wret = npu_wait(dev, ids[i], firsts[i], &dur);
		npu_prof_job(dev, ids[i], dur);
		if (wret && !ret)
			ret = wret;
	}
	return ret;
}

/*
 * ABI 1.1: the parts in one call (SUBMIT, or SUBMIT_BATCH for several),
 * the last with RM_NPU_SUBMIT_WAIT: the call returns with every job
 * retired and its status, and a job on an idle PE runs in this thread. A
 * signal may end the wait early: the jobs still running are waited for.
 * A batch is all or nothing, so an error queues no job.
 */
static int npu_run_sync(npurt_device *dev, const struct npurt_job *job)
{
	struct rm_npu_submit s[NPU_MAX_PARTS];
	struct rm_npu_submit_batch b = { 0 };
	uint32_t firsts[NPU_MAX_PARTS], first = 0, bad;
	unsigned int parts = 0, i;
	uint64_t t0, dur;
	int ret, jret;

	for (; first < job->num_cmds; first += s[parts++].num_cmds) {
		firsts[parts] = first;
		memset(&s[parts], 0, sizeof(s[parts]));
		s[parts].cmds = (uintptr_t)(job->cmds + first);
		s[parts].bo_handles = (uintptr_t)job->handles;
		s[parts].num_cmds = job->num_cmds - first < dev->max_cmds ?
				    job->num_cmds - first : dev->max_cmds;
		s[parts].num_bos = job->num_bufs;
		s[parts].cmd_size = sizeof(struct rm_npu_cmd);
	}
	s[parts - 1].flags = RM_NPU_SUBMIT_WAIT;
	b.jobs = (uintptr_t)s;
	b.num_jobs = parts;
	b.job_size = sizeof(s[0]);

	t0 = npurt_now_ns();
	/* The file's in-flight limit is transient: wait for room. */
	for (;;) {
		ret = parts == 1 ?
		      npu_ioctl(dev->fd, RM_NPU_IOCTL_SUBMIT, &s[0]) :
		      npu_ioctl(dev->fd, RM_NPU_IOCTL_SUBMIT_BATCH, &b);
		if (ret != -EAGAIN)
			break;
		usleep(NPU_EAGAIN_SLEEP_US);
	}
	npurt_prof_span(dev->rt, "submit", NPURT_PROF_THREAD, t0,
			npurt_now_ns(), "%u job(s), %u commands, waited",
			parts, job->num_cmds);
	if (ret) {
		bad = parts == 1 ? 0 : b.error_job;
		if (ret == -EINVAL && bad < parts &&
		    s[bad].error_index != RM_NPU_NO_INDEX)
			return npurt_err(ret, "%s: SUBMIT rejected command %u",
					 dev->info.name,
					 firsts[bad] + s[bad].error_index);
		return npurt_err(ret, "%s: %s: %s", dev->info.name,
				 parts == 1 ? "SUBMIT" : "SUBMIT_BATCH",
				 npurt_strerror(ret));
	}

	ret = 0;
	for (i = 0; i < parts; i++) {
		dur = s[i].duration_ns;
		if (s[i].retired)
			jret = npu_job_status(dev, s[i].job_id, firsts[i],
					      s[i].result, s[i].result_index);
		else
			jret = npu_wait(dev, s[i].job_id, firsts[i], &dur);
		npu_prof_job(dev, s[i].job_id, dur);
		if (jret && !ret)
			ret = jret;
	}
	return ret;
}

/*
 * Programs longer than max_cmds go as several jobs; a file's jobs retire
 * in order, so that keeps the program's sequential meaning.
 */
static int npu_run(npurt_device *dev, const struct npurt_job *job)
{
	if (job->num_cmds > (uint64_t)dev->max_cmds * NPU_MAX_PARTS)
		return npurt_err(-E2BIG, "%s: program of %u commands is too "
				 "long", dev->info.name, job->num_cmds);
	if (!job->num_cmds)
		return 0;
	return dev->submit_sync ? npu_run_sync(dev, job) :
	       npu_run_ver0(dev, job);
}

static void npu_close(npurt_device *dev)
{
	npurt_pool_fini(&dev->pool);
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
}

static const struct npurt_backend_ops npu_ops = {
	.mem_alloc = npu_mem_alloc,
	.mem_free = npu_mem_free,
	.run = npu_run,
	.close = npu_close,
};

static int npu_check_info(const struct rm_npu_info *drv, const char *name)
{
	if (drv->abi_version >> 16 != RM_NPU_ABI_MAJOR)
		return npurt_err(-EPROTO, "%s: driver ABI %u.%u, library "
				 "built for %u.x", name, drv->abi_version >> 16,
				 drv->abi_version & 0xffff, RM_NPU_ABI_MAJOR);
	if (drv->cmd_size != sizeof(struct rm_npu_cmd))
		return npurt_err(-EPROTO, "%s: driver command size %u, "
				 "library %zu", name, drv->cmd_size,
				 sizeof(struct rm_npu_cmd));
	if (drv->fw_state != RM_NPU_FW_READY)
		return npurt_err(-ENODEV, "%s: firmware not ready", name);
	if (!drv->max_cmds || drv->max_job_bos < 4)
		return npurt_err(-EPROTO, "%s: driver limits unusable", name);
	return 0;
}

static void npu_fill_info(npurt_device *dev, const struct rm_npu_info *drv,
			  const struct npurt_node_info *node)
{
	struct npurt_device_info *info = &dev->info;

	info->kind = NPURT_DEVICE_NPU;
	snprintf(info->name, sizeof(info->name), "%s", node->name);
	memcpy(info->arch, drv->arch, sizeof(info->arch) - 1);
	info->dev_index = drv->dev_index;
	info->pe_first = drv->pe_first;
	info->pe_count = drv->pe_count;
	info->numa_node = drv->numa_node;
	info->abi_version = drv->abi_version;
	info->fw_version = drv->fw_version;
	memcpy(info->fw_version_str, drv->fw_version_str,
	       sizeof(info->fw_version_str) - 1);
	info->fw_caps = drv->fw_caps;
	info->mem_total = drv->mem_total;
	dev->max_cmds = drv->max_cmds;
	dev->max_job_bos = drv->max_job_bos < NPURT_JOB_MAX_BUFS ?
			   drv->max_job_bos : NPURT_JOB_MAX_BUFS;
	/* ABI 1.1: status in SUBMIT, RM_NPU_SUBMIT_WAIT, SUBMIT_BATCH. */
	dev->submit_sync = (drv->abi_version & 0xffff) >= 1 &&
			   drv->max_batch_jobs >= NPU_MAX_PARTS;
}

int npurt_npu_device_init(npurt_device *dev, int fd,
			  const struct npurt_node_info *node)
{
	struct rm_npu_info drv = { 0 };
	int ret;

	dev->fd = fd;
	ret = npu_ioctl(fd, RM_NPU_IOCTL_GET_INFO, &drv);
	if (ret)
		ret = npurt_err(ret, "%s: GET_INFO: %s", node->name,
				npurt_strerror(ret));
	else
		ret = npu_check_info(&drv, node->name);
	if (ret) {
		close(fd);
		dev->fd = -1;
		return ret;
	}
	npu_fill_info(dev, &drv, node);
	dev->ops = &npu_ops;
	npurt_pool_init(&dev->pool, NPU_CHUNK_SIZE, &npu_chunk_ops, dev);
	npurt_prof_name_track(dev->rt, npurt_prof_dev_track(dev), dev->info.name);
	return 0;
}
