// SPDX-License-Identifier: GPL-2.0
/*
 * rm_npu buffer objects: device memory (pages on the device's NUMA node,
 * charged to the memory cgroup) and its accounting, per-file handles, and
 * mapping into userspace. Each mapping and each job holds a reference.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "rm_npu_drv.h"

/* Reserves @size bytes of device memory, or fails without side effects. */
static int rm_npu_mem_charge(struct rm_npu_device *ndev, u64 size)
{
	s64 used = atomic64_read(&ndev->mem_used);

	do {
		if (size > ndev->mem_total || used > ndev->mem_total - size)
			return -ENOMEM;
	} while (!atomic64_try_cmpxchg(&ndev->mem_used, &used, used + size));
	return 0;
}

static void rm_npu_mem_uncharge(struct rm_npu_device *ndev, u64 size)
{
	atomic64_sub(size, &ndev->mem_used);
}

static void rm_npu_bo_pages_free(struct page **pages, unsigned long n)
{
	while (n)
		__free_page(pages[--n]);
	kvfree(pages);
}

/*
 * The buffer's memory: zeroed pages on @node (NUMA_NO_NODE: the local
 * one), charged to the caller's memory cgroup (__GFP_ACCOUNT), so that a
 * container's memory.max bounds the device memory it takes too; then one
 * kernel mapping of them for the engines.
 */
static int rm_npu_bo_pages_alloc(struct rm_npu_bo *bo, int node)
{
	/* Over memory.max: ENOMEM, never the OOM killer. */
	const gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN |
			  __GFP_RETRY_MAYFAIL;
	unsigned long i, n = bo->size >> PAGE_SHIFT;
	struct page **pages;

	pages = kvmalloc_array(n, sizeof(*pages), GFP_KERNEL_ACCOUNT |
			       __GFP_RETRY_MAYFAIL | __GFP_NOWARN);
	if (!pages)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		pages[i] = alloc_pages_node(node, gfp, 0);
		if (!pages[i])
			goto err_free;
		/* Gigabytes take a while: let a killed caller go. */
		if (!(i % 1024)) {
			if (fatal_signal_pending(current))
				goto err_free;
			cond_resched();
		}
	}
	bo->vaddr = vmap(pages, n, VM_MAP, PAGE_KERNEL);
	if (!bo->vaddr)
		goto err_free;
	bo->pages = pages;
	return 0;

err_free:
	rm_npu_bo_pages_free(pages, i);
	return -ENOMEM;
}

static void rm_npu_bo_free(struct kref *ref)
{
	struct rm_npu_bo *bo = container_of(ref, struct rm_npu_bo, ref);

	vunmap(bo->vaddr);
	rm_npu_bo_pages_free(bo->pages, bo->size >> PAGE_SHIFT);
	rm_npu_mem_uncharge(bo->ndev, bo->size);
	atomic_dec(&bo->ndev->bo_count);
	kfree(bo);
}

void rm_npu_bo_put(struct rm_npu_bo *bo)
{
	kref_put(&bo->ref, rm_npu_bo_free);
}

/* Returns the buffer with a reference held, or NULL. */
struct rm_npu_bo *rm_npu_bo_lookup(struct rm_npu_file *nfile, u32 handle)
{
	struct rm_npu_bo *bo;

	xa_lock(&nfile->bos);
	bo = xa_load(&nfile->bos, handle);
	if (bo)
		kref_get(&bo->ref);
	xa_unlock(&nfile->bos);
	return bo;
}

static u64 rm_npu_bo_mmap_offset(struct rm_npu_bo *bo)
{
	return (u64)bo->mmap_pgoff << PAGE_SHIFT;
}

/*
 * Reserves the lowest free range of page offsets for @bo. Writers are
 * serialised by bo_lock: the tree may drop its own lock to allocate nodes.
 */
static int rm_npu_bo_offset_alloc(struct rm_npu_file *nfile,
				  struct rm_npu_bo *bo)
{
	MA_STATE(mas, &nfile->mmap_offsets, 0, 0);
	unsigned long npages = bo->size >> PAGE_SHIFT;
	int ret;

	mutex_lock(&nfile->bo_lock);
	mtree_lock(&nfile->mmap_offsets);
	ret = mas_empty_area(&mas, RM_NPU_MMAP_MIN_PGOFF, RM_NPU_MMAP_MAX_PGOFF,
			     npages);
	if (!ret) {
		bo->mmap_pgoff = mas.index;
		mas.last = mas.index + npages - 1;
		ret = mas_store_gfp(&mas, bo, GFP_KERNEL);
	}
	mtree_unlock(&nfile->mmap_offsets);
	mutex_unlock(&nfile->bo_lock);
	/* No gap left in the offset space: as good as out of memory. */
	return ret == -EBUSY ? -ENOMEM : ret;
}

static void rm_npu_bo_offset_free(struct rm_npu_file *nfile,
				  struct rm_npu_bo *bo)
{
	MA_STATE(mas, &nfile->mmap_offsets, bo->mmap_pgoff, bo->mmap_pgoff);

	mutex_lock(&nfile->bo_lock);
	mtree_lock(&nfile->mmap_offsets);
	mas_erase(&mas);
	mtree_unlock(&nfile->mmap_offsets);
	mutex_unlock(&nfile->bo_lock);
}

/* The buffer whose offset range holds @pgoff, with a reference, or NULL. */
static struct rm_npu_bo *rm_npu_bo_lookup_pgoff(struct rm_npu_file *nfile,
						unsigned long pgoff)
{
	struct rm_npu_bo *bo;

	/* Holding the tree lock keeps BO_CLOSE from erasing and putting. */
	mtree_lock(&nfile->mmap_offsets);
	bo = mtree_load(&nfile->mmap_offsets, pgoff);
	if (bo)
		kref_get(&bo->ref);
	mtree_unlock(&nfile->mmap_offsets);
	return bo;
}

int rm_npu_bo_create_ioctl(struct rm_npu_file *nfile, void *data)
{
	struct rm_npu_bo_create *args = data;
	struct rm_npu_device *ndev = nfile->ndev;
	struct rm_npu_bo *bo;
	u64 size;
	u32 handle;
	int ret;

	if (args->flags) {
		rm_npu_dbg(nfile, BO, "BO_CREATE: flags %#x unknown\n",
			   args->flags);
		return -EINVAL;
	}
	if (!args->size || args->size > ndev->mem_total) {
		rm_npu_dbg(nfile, BO, "BO_CREATE: size %llu not in 1..%llu\n",
			   args->size, ndev->mem_total);
		return -EINVAL;
	}
	size = PAGE_ALIGN(args->size);

	if (atomic_inc_return(&nfile->num_bos) > RM_NPU_MAX_BOS) {
		rm_npu_dbg(nfile, BO, "BO_CREATE: the file holds %u buffers\n",
			   RM_NPU_MAX_BOS);
		ret = -EMFILE;
		goto err_count;
	}

	ret = rm_npu_mem_charge(ndev, size);
	if (ret) {
		rm_npu_dbg(nfile, BO, "BO_CREATE: size %llu: device memory used %lld of %llu\n",
			   size, (s64)atomic64_read(&ndev->mem_used),
			   ndev->mem_total);
		goto err_count;
	}

	bo = kzalloc(sizeof(*bo), GFP_KERNEL_ACCOUNT);
	if (!bo) {
		ret = -ENOMEM;
		goto err_uncharge;
	}
	kref_init(&bo->ref);
	bo->ndev = ndev;
	bo->size = size;
	ret = rm_npu_bo_pages_alloc(bo, ndev->numa_node);
	if (ret)
		goto err_free_bo;
	atomic_inc(&ndev->bo_count);

	/* The offset first: a handle is usable as soon as it exists. */
	ret = rm_npu_bo_offset_alloc(nfile, bo);
	if (ret)
		goto err_put_bo;

	ret = xa_alloc_cyclic(&nfile->bos, &handle, bo,
			      XA_LIMIT(1, RM_NPU_MAX_HANDLE),
			      &nfile->next_handle, GFP_KERNEL);
	if (ret < 0) {
		/* -EBUSY means the handle space is full. */
		if (ret == -EBUSY)
			ret = -EMFILE;
		rm_npu_bo_offset_free(nfile, bo);
		goto err_put_bo;
	}

	args->handle = handle;
	args->alloc_size = size;
	return 0;

err_put_bo:
	atomic_dec(&nfile->num_bos);
	rm_npu_bo_put(bo);
	return ret;

err_free_bo:
	kfree(bo);
err_uncharge:
	rm_npu_mem_uncharge(ndev, size);
err_count:
	atomic_dec(&nfile->num_bos);
	return ret;
}

int rm_npu_bo_info_ioctl(struct rm_npu_file *nfile, void *data)
{
	struct rm_npu_bo_info *args = data;
	struct rm_npu_bo *bo;

	if (args->flags) {
		rm_npu_dbg(nfile, BO, "BO_INFO: flags %#x unknown\n",
			   args->flags);
		return -EINVAL;
	}
	bo = rm_npu_bo_lookup(nfile, args->handle);
	if (!bo) {
		rm_npu_dbg(nfile, BO, "BO_INFO: handle %u unknown\n",
			   args->handle);
		return -ENOENT;
	}
	args->size = bo->size;
	args->mmap_offset = rm_npu_bo_mmap_offset(bo);
	rm_npu_bo_put(bo);
	return 0;
}

int rm_npu_bo_mmap_ioctl(struct rm_npu_file *nfile, void *data)
{
	struct rm_npu_bo_mmap *args = data;
	struct rm_npu_bo *bo;

	if (args->flags) {
		rm_npu_dbg(nfile, BO, "BO_MMAP: flags %#x unknown\n",
			   args->flags);
		return -EINVAL;
	}
	bo = rm_npu_bo_lookup(nfile, args->handle);
	if (!bo) {
		rm_npu_dbg(nfile, BO, "BO_MMAP: handle %u unknown\n",
			   args->handle);
		return -ENOENT;
	}
	args->offset = rm_npu_bo_mmap_offset(bo);
	rm_npu_bo_put(bo);
	return 0;
}

int rm_npu_bo_close_ioctl(struct rm_npu_file *nfile, void *data)
{
	struct rm_npu_bo_close *args = data;
	struct rm_npu_bo *bo;

	if (args->flags) {
		rm_npu_dbg(nfile, BO, "BO_CLOSE: flags %#x unknown\n",
			   args->flags);
		return -EINVAL;
	}
	bo = xa_erase(&nfile->bos, args->handle);
	if (!bo) {
		rm_npu_dbg(nfile, BO, "BO_CLOSE: handle %u unknown\n",
			   args->handle);
		return -ENOENT;
	}
	rm_npu_bo_offset_free(nfile, bo);
	atomic_dec(&nfile->num_bos);
	rm_npu_bo_put(bo);
	return 0;
}

void rm_npu_bo_release_all(struct rm_npu_file *nfile)
{
	struct rm_npu_bo *bo;
	unsigned long handle;

	xa_for_each(&nfile->bos, handle, bo) {
		xa_erase(&nfile->bos, handle);
		rm_npu_bo_offset_free(nfile, bo);
		rm_npu_bo_put(bo);
	}
	mtree_destroy(&nfile->mmap_offsets);
	atomic_set(&nfile->num_bos, 0);
}

static void rm_npu_bo_vm_open(struct vm_area_struct *vma)
{
	struct rm_npu_bo *bo = vma->vm_private_data;

	kref_get(&bo->ref);
}

static void rm_npu_bo_vm_close(struct vm_area_struct *vma)
{
	rm_npu_bo_put(vma->vm_private_data);
}

/*
 * Maps one page of the buffer at the faulting address: mappings get their
 * pages on first touch, not all at mmap() under mmap_lock, and again after
 * MADV_DONTNEED (or anything else that zaps them) dropped them.
 */
static vm_fault_t rm_npu_bo_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct rm_npu_bo *bo = vma->vm_private_data;
	unsigned long pgoff = vmf->pgoff - bo->mmap_pgoff;

	/* mmap() checked the range, which cannot grow (VM_DONTEXPAND). */
	if (WARN_ON_ONCE(vmf->pgoff < bo->mmap_pgoff ||
			 pgoff >= bo->size >> PAGE_SHIFT))
		return VM_FAULT_SIGBUS;
	return vmf_insert_page(vma, vmf->address, bo->pages[pgoff]);
}

static const struct vm_operations_struct rm_npu_bo_vm_ops = {
	.open = rm_npu_bo_vm_open,
	.close = rm_npu_bo_vm_close,
	.fault = rm_npu_bo_vm_fault,
};

int rm_npu_bo_mmap(struct rm_npu_file *nfile, struct vm_area_struct *vma)
{
	unsigned long npages = vma_pages(vma);
	unsigned long pgoff;
	struct rm_npu_bo *bo;
	int ret;

	/* VM_MAYSHARE: a read-only MAP_SHARED of an O_RDONLY fd is shared. */
	if (!(vma->vm_flags & VM_MAYSHARE)) {
		rm_npu_dbg(nfile, BO, "mmap: not MAP_SHARED\n");
		return -EINVAL;
	}
	bo = rm_npu_bo_lookup_pgoff(nfile, vma->vm_pgoff);
	if (!bo) {
		rm_npu_dbg(nfile, BO, "mmap: offset %#lx is no buffer's\n",
			   vma->vm_pgoff << PAGE_SHIFT);
		return -EINVAL;
	}
	pgoff = vma->vm_pgoff - bo->mmap_pgoff;

	if (pgoff >= bo->size >> PAGE_SHIFT ||
	    npages > (bo->size >> PAGE_SHIFT) - pgoff) {
		rm_npu_dbg(nfile, BO, "mmap: %lu pages from page %lu pass the buffer's %llu\n",
			   npages, pgoff, bo->size >> PAGE_SHIFT);
		ret = -EINVAL;
		goto err_put;
	}

	/*
	 * Pages come in at fault time (vmf_insert_page(), which wants
	 * VM_MIXEDMAP set now, while mmap_lock is held for writing); the
	 * mapping cannot grow and is left out of core dumps.
	 */
	vma->vm_flags |= VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP;

	/* The lookup's reference now belongs to the mapping. */
	vma->vm_private_data = bo;
	vma->vm_ops = &rm_npu_bo_vm_ops;
	return 0;

err_put:
	rm_npu_bo_put(bo);
	return ret;
}
