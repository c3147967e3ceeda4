/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * npu_ops_mm.h - the blocked matrix-multiply driver of the SIMD variants,
 * shared by GEMM and CONV2D (dense convolutions as GEMMs over output
 * pixels). Included once by each SIMD variant (npu_ops_avx2.c,
 * npu_ops_avx512.c), which defines before it:
 *
 *   NPU_MM_MR       rows of A per micro-kernel tile
 *   NPU_MM_KSTEP    k values per packed group (4: u8 VNNI quads, 2: s16
 *                   pairs)
 *   NPU_MM_KC       k values per block of the panel (a multiple of KSTEP)
 *   NPU_MM_ASZ      bytes per element of a copied A row (1: raw bytes, the
 *                   zero points corrected by sums; 2: s16 A - a_zero_point)
 *   npu_mm_pack()   one panel: k block [k0, k0 + kc) of columns
 *                   [col0, col0 + w) of B, in the micro-kernel's layout,
 *                   and (ASZ 1) the column sums of B over the block
 *   npu_mm_kernel() acc[nr][64] (+)= rows x panel over kc values of k
 *   npu_mm_epi_rows() the epilogue of @nr output rows @stride bytes apart
 *                   (struct npu_mm_epi), their sums acc[nr][64]
 *
 * A panel is one 64-column unit block of B over one k block, so packed
 * weights (npu_cmd_pack(), or the scratch, cached per context tag) are
 * reused by every row of a unit range. K up to NPU_MM_KC runs as one block
 * with the sums in registers; longer K accumulates int32 sums of up to
 * NPU_MM_MC rows in the scratch across blocks. Integer sums are exact in
 * any order, so every blocking gives the bytes of the portable variant.
 *
 * With raw A bytes (VNNI), for A row r and column j:
 *   sum_k (A - za)(B - zb) = S - c1 * sumA_r - za * sumB_j + K * za * zb
 * with S = sum_k A' * B' the micro-kernel's sum over the operands it
 * multiplies: unsigned A with signed B (c1 = zb), or, for signed A, B + 128
 * as the unsigned operand (S = sum A*B + 128 sum A, c1 = zb + 128). The
 * terms wrap in u32; the true sum fits in int32, so the result is exact.
 */
#ifndef _NPU_OPS_MM_H
#define _NPU_OPS_MM_H

#define NPU_MM_COLS	NPU_OPS_MM_BLOCK	/* columns of a panel */
#define NPU_MM_MC	64			/* rows kept across k blocks */

/* Scratch layout (offsets in bytes, all 64-byte aligned). */
#define NPU_MM_PANEL_MAX	((u64)NPU_MM_KC * NPU_MM_COLS * (4 / NPU_MM_KSTEP))
#define NPU_MM_SC_PANEL		0
#define NPU_MM_SC_COLSUM	(NPU_MM_SC_PANEL + NPU_MM_PANEL_MAX)
#define NPU_MM_SC_AROWS		(NPU_MM_SC_COLSUM + 4 * NPU_MM_COLS)
#define NPU_MM_AROW_BYTES	((u64)NPU_MM_KC * NPU_MM_ASZ + 64)
#define NPU_MM_SC_ACC		(NPU_MM_SC_AROWS + NPU_MM_MR * NPU_MM_AROW_BYTES)
#define NPU_MM_SC_EPI		(NPU_MM_SC_ACC + 4 * NPU_MM_MC * NPU_MM_COLS)
#define NPU_MM_SC_END		(NPU_MM_SC_EPI + sizeof(struct npu_mm_epi))

_Static_assert(NPU_MM_KC % NPU_MM_KSTEP == 0 && NPU_MM_KC % 64 == 0,
	       "k block");

/* Packed weights (npu_cmd_pack()): this header, then the panels. */
struct npu_mm_packed {
	u32 magic;
	u32 isa;
	u32 k;
	u32 n;
	u64 block_bytes;	/* one 64-column block: panels, then sums */
};

#define NPU_MM_PACK_MAGIC	0x4b50504eu	/* "NPPK" */

/* Epilogue of one 64-column block, loaded once per block. */
struct npu_mm_epi {
	s32 colterm[NPU_MM_COLS];	/* ASZ 1: -za * sumB_j + K za zb */
	s32 bias[NPU_MM_COLS];
	s64 mult[NPU_MM_COLS];
	s64 rnd[NPU_MM_COLS];		/* 2^(total - 1) */
	s64 total[NPU_MM_COLS];		/* 31 - shift */
	s32 colsum[NPU_MM_COLS];	/* sum of B over K (ASZ 1) */
	/* total >= 33 in every lane: r = (hi32(x * mult) + rnd32) >> sh32 */
	s32 mult32[NPU_MM_COLS];
	s32 rnd32[NPU_MM_COLS];		/* 2^(total - 33) */
	s32 sh32[NPU_MM_COLS];		/* total - 32 */
	/* RM_NPU_MM_F32_SCALE: the binary32 scale of each column */
	u32 fscale[NPU_MM_COLS];
	bool f32;
	bool hi_only;
	bool bias_safe;		/* no |acc + bias| can pass int32 */
	u32 out_dtype;
	bool has_bias;
	bool per_channel;	/* else mult, rnd, total are the same for all */
	s32 zp;
	s32 lo;
	s32 hi;
};

/* What a unit range multiplies; rows are GEMM rows or output pixels. */
struct npu_mm {
	u64 m;			/* rows */
	u32 n;			/* columns */
	u32 k;			/* dot-product length */
	bool sgn;		/* A is INT8 */
	s32 za;
	s32 zb;
	/* GEMM: A rows @lda apart, B @ldb apart (k x n); conv: see @c */
	const u8 *a;
	u32 lda;
	const s8 *b;
	u32 ldb;
	bool bt;		/* B stored transposed: n rows of @ldb (conv) */
	const struct rm_npu_cmd_conv2d *c;	/* CONV2D, else NULL */
	bool direct;		/* CONV2D 1x1 without padding: rows in place */
	/* (GEMM, and CONV2D 1x1 stride 1 without padding: row r at a + r lda) */
	u8 *out;
	u64 ldo;		/* output elements per row */
	u32 osz;
	u32 flags;
	const struct rm_npu_requant *rq;
	const u8 *bias;
	const u8 *quant;
	u32 out_dtype;
};

static inline s32 npu_max_s32(s32 a, s32 b)
{
	return a > b ? a : b;
}

static inline u32 npu_mm_ksteps(u32 k)
{
	return (k + NPU_MM_KSTEP - 1) / NPU_MM_KSTEP;
}

/* Bytes of the panel of columns [0, w) over kc values of k. */
static inline u64 npu_mm_panel_bytes(u32 kc, u32 w)
{
	u32 cols = (w + 15) & ~15u;

	return (u64)npu_mm_ksteps(kc) * NPU_MM_KSTEP * cols *
	       (4 / NPU_MM_KSTEP);
}

/* B[k][col] of the command, either layout. */
static __always_inline s32 npu_mm_b(const struct npu_mm *mm, u32 k, u32 col)
{
	return mm->bt ? mm->b[(u64)col * mm->ldb + k] :
			mm->b[(u64)k * mm->ldb + col];
}

/* ------------------------------------------------------------------ */
/* Rows of A                                                           */
/* ------------------------------------------------------------------ */

/* Address of the input pixel of output pixel @p for a 1x1 convolution. */
static const u8 *npu_mm_direct_row(const struct npu_mm *mm, u64 p)
{
	const struct rm_npu_cmd_conv2d *c = mm->c;
	u64 t = npu_div_u64(p, c->out_w);
	u32 ox = (u32)(p - t * c->out_w);
	u32 nb = (u32)npu_div_u64(t, c->out_h);
	u32 oy = (u32)(t - (u64)nb * c->out_h);

	return mm->a + (((u64)nb * c->in_h + (u64)oy * c->stride_h) *
			c->in_w + (u64)ox * c->stride_w) * c->in_c;
}

/* Row elements as the micro-kernel reads them: raw bytes, or s16 A - za. */
static void npu_mm_copy(u8 *dst, u32 i, const u8 *src, u32 n, s32 za,
			bool sgn)
{
	s16 *d = (s16 *)dst + i;
	u32 j;

	if (NPU_MM_ASZ == 1) {
		npu_mm_bytes(dst + i, src, n);
		return;
	}
	if (sgn)
		for (j = 0; j < n; j++)
			d[j] = (s16)((s8)src[j] - za);
	else
		for (j = 0; j < n; j++)
			d[j] = (s16)(src[j] - za);
}

/* Padding: the zero point raw (it adds 0), 0 as s16. */
static void npu_mm_fill(u8 *dst, u32 i, u32 n, s32 za)
{
	if (NPU_MM_ASZ == 1)
		memset(dst + i, (u8)za, n);
	else
		memset(dst + 2 * (u64)i, 0, 2 * (u64)n);
}

/* Part [a, b) of a run of the im2col row starting at @k: copied or filled. */
static __always_inline void npu_mm_run_part(const struct npu_mm *mm, u8 *dst,
					    u32 k0, u32 k1, u32 k, u32 len,
					    const u8 *src)
{
	u32 a = k > k0 ? k : k0, b = k + len < k1 ? k + len : k1;

	if (a >= b)
		return;
	if (src)
		npu_mm_copy(dst, a - k0, src + (a - k), b - a, mm->za, mm->sgn);
	else
		npu_mm_fill(dst, a - k0, b - a, mm->za);
}

/*
 * Values [k0, k0 + kc) of the im2col row of output pixel @p (groups 1):
 * k = (ky * k_w + kx) * in_c + ci; taps outside the input read in_zp.
 * Without dilation the in-range taps of a kernel row are one run of
 * the input, copied at once.
 */
static void npu_mm_im2col(const struct npu_mm *mm, u64 p, u32 k0, u32 kc,
			  u8 *dst)
{
	const struct rm_npu_cmd_conv2d *c = mm->c;
	u64 t = npu_div_u64(p, c->out_w);
	u32 ox = (u32)(p - t * c->out_w);
	u32 nb = (u32)npu_div_u64(t, c->out_h);
	u32 oy = (u32)(t - (u64)nb * c->out_h);
	s32 iy0 = (s32)(oy * c->stride_h) - (s32)c->pad_top;
	s32 ix0 = (s32)(ox * c->stride_w) - (s32)c->pad_left;
	const u8 *img = mm->a + (u64)nb * c->in_h * c->in_w * c->in_c;
	u32 cin = c->in_c, kwl = c->k_w * cin, k1 = k0 + kc;
	u32 ky = k0 / kwl, kx, kxa, kxb;

	for (; ky < c->k_h && ky * kwl < k1; ky++) {
		s32 iy = iy0 + (s32)(ky * c->dil_h);
		u32 kr = ky * kwl;
		const u8 *row = img + (u64)iy * c->in_w * cin;

		if (iy < 0 || iy >= (s32)c->in_h) {
			npu_mm_run_part(mm, dst, k0, k1, kr, kwl, NULL);
			continue;
		}
		if (c->dil_w != 1) {
			for (kx = 0; kx < c->k_w; kx++) {
				s32 ix = ix0 + (s32)(kx * c->dil_w);
				bool in = ix >= 0 && ix < (s32)c->in_w;

				npu_mm_run_part(mm, dst, k0, k1, kr + kx * cin,
						cin, in ? row + (u64)(u32)ix * cin :
						NULL);
			}
			continue;
		}
		/* taps [kxa, kxb) are inside the input */
		kxa = ix0 < 0 ? npu_min_u32((u32)-ix0, c->k_w) : 0;
		kxb = ix0 + (s32)c->k_w <= (s32)c->in_w ? c->k_w :
		      (u32)npu_max_s32((s32)c->in_w - ix0, (s32)kxa);
		npu_mm_run_part(mm, dst, k0, k1, kr, kxa * cin, NULL);
		if (kxb > kxa)
			npu_mm_run_part(mm, dst, k0, k1, kr + kxa * cin,
					(kxb - kxa) * cin,
					row + (u64)(u32)(ix0 + (s32)kxa) * cin);
		npu_mm_run_part(mm, dst, k0, k1, kr + kxb * cin,
				(c->k_w - kxb) * cin, NULL);
	}
}

/* Output pixel of an im2col row, stepped along a tile without dividing. */
struct npu_mm_px {
	u32 nb;
	u32 oy;
	u32 ox;
};

static void npu_mm_px_set(const struct rm_npu_cmd_conv2d *c, u64 p,
			  struct npu_mm_px *px)
{
	u64 t = npu_div_u64(p, c->out_w);

	px->ox = (u32)(p - t * c->out_w);
	px->nb = (u32)npu_div_u64(t, c->out_h);
	px->oy = (u32)(t - (u64)px->nb * c->out_h);
}

static inline void npu_mm_px_next(const struct rm_npu_cmd_conv2d *c,
				  struct npu_mm_px *px)
{
	if (++px->ox < c->out_w)
		return;
	px->ox = 0;
	if (++px->oy < c->out_h)
		return;
	px->oy = 0;
	px->nb++;
}

/*
 * First tap of an output pixel whose taps are all inside the input, with
 * no dilation along x: kernel row ky then starts @ky * dil_h * in_w *
 * in_c bytes on, its k_w taps of in_c channels contiguous. NULL for the
 * others.
 */
static __always_inline const u8 *npu_mm_px_src(const struct npu_mm *mm,
					       const struct npu_mm_px *px)
{
	const struct rm_npu_cmd_conv2d *c = mm->c;
	s32 iy0 = (s32)(px->oy * c->stride_h) - (s32)c->pad_top;
	s32 ix0 = (s32)(px->ox * c->stride_w) - (s32)c->pad_left;

	if (c->dil_w != 1 || iy0 < 0 || ix0 < 0 ||
	    ix0 + (s32)c->k_w > (s32)c->in_w ||
	    iy0 + (s32)((c->k_h - 1) * c->dil_h) >= (s32)c->in_h)
		return NULL;
	return mm->a + (((u64)px->nb * c->in_h + (u32)iy0) * c->in_w +
			(u32)ix0) * c->in_c;
}

/*
 * The whole im2col row (K in one block) of an output pixel of
 * npu_mm_px_src(): one copy per kernel row. False for the others.
 */
static bool npu_mm_im2col_inner(const struct npu_mm *mm,
				const struct npu_mm_px *px, u8 *dst)
{
	const struct rm_npu_cmd_conv2d *c = mm->c;
	const u8 *src = npu_mm_px_src(mm, px);
	u32 kwl = c->k_w * c->in_c, ky;
	u64 rstep = (u64)c->dil_h * c->in_w * c->in_c;

	if (!src)
		return false;
	for (ky = 0; ky < c->k_h; ky++, src += rstep)
		npu_mm_copy(dst, ky * kwl, src, kwl, mm->za, mm->sgn);
	return true;
}

/*
 * Row @r of A over [k0, k0 + kc): a pointer into A when the micro-kernel
 * can read it in place, else a copy in @buf (padded to a whole k step).
 * @px: the output pixel of row @r (CONV2D through im2col only).
 */
static const u8 *npu_mm_row(const struct npu_mm *mm, u64 r, u32 k0, u32 kc,
			    const struct npu_mm_px *px, u8 *buf)
{
	u32 kp = npu_mm_ksteps(kc) * NPU_MM_KSTEP;

	if (!mm->c || mm->direct) {
		const u8 *src = mm->lda ? mm->a + r * mm->lda :
					  npu_mm_direct_row(mm, r);

#if NPU_MM_ASZ == 1
		/* only the last block may end inside a k step */
		if (kp == kc)
			return src + k0;
#endif
		npu_mm_copy(buf, 0, src + k0, kc, mm->za, mm->sgn);
	} else if (kc < mm->k || mm->c->dil_w != 1 ||
		   !npu_mm_im2col_inner(mm, px, buf)) {
		npu_mm_im2col(mm, r, k0, kc, buf);
	}
	if (kp > kc)
		npu_mm_fill(buf, kc, kp - kc, NPU_MM_ASZ == 1 ? 0 : mm->za);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Epilogue parameters of one column block                             */
/* ------------------------------------------------------------------ */

static int npu_mm_epi_load(const struct npu_mm *mm, u32 col0, u32 w,
			   struct npu_mm_epi *e)
{
	const struct rm_npu_requant *rq = mm->rq;
	/* the largest |acc|: 255 * 255 per product */
	s64 room = 0x7fffffffLL - (s64)mm->k * 255 * 255;
	u32 j;

	e->f32 = mm->flags & RM_NPU_MM_F32_SCALE;
	/* the F32 epilogue has no fixed-point fast path */
	e->hi_only = !e->f32;
	e->bias_safe = true;
	e->out_dtype = mm->out_dtype;
	e->has_bias = mm->bias;
	e->per_channel = mm->quant;
	e->zp = rq->zero_point;
	e->lo = rq->act_min;
	e->hi = rq->act_max;
	for (j = 0; j < NPU_MM_COLS; j++) {
		s32 mult = rq->mult, shift = rq->shift;

		e->bias[j] = mm->bias && j < w ?
			     npu_ld_s32(mm->bias + 4 * ((u64)col0 + j)) : 0;
		if (mm->quant && j < w && mm->out_dtype != RM_NPU_DT_INT32) {
			const u8 *q = mm->quant + 8 * ((u64)col0 + j);

			mult = npu_ld_s32_once(q);
			shift = npu_ld_s32_once(q + 4);
			if (e->f32 ? !npu_f32_pair_ok(mult, shift) :
				     !npu_scale_ok(mult, shift))
				return -EINVAL;
		} else if (mm->quant || mm->out_dtype == RM_NPU_DT_INT32) {
			mult = 0;
			shift = 0;
		}
		e->fscale[j] = (u32)mult;
		if (e->f32) {
			/* the fixed-point fields are unused */
			mult = 0;
			shift = 0;
		}
		e->mult[j] = mult;
		e->total[j] = 31 - shift;
		e->rnd[j] = (s64)1 << (30 - shift);
		/*
		 * With total >= 33 the low 32 bits of x * mult cannot carry
		 * into the result: floor((P + 2^(t-1)) / 2^t) =
		 * (floor(P / 2^32) + 2^(t-33)) >> (t - 32).
		 */
		e->hi_only &= 31 - shift >= 33;
		e->mult32[j] = mult;
		e->sh32[j] = 31 - shift - 32;
		e->rnd32[j] = 31 - shift >= 33 ? 1 << (31 - shift - 33) : 0;
		if (e->bias[j] > room || e->bias[j] < -room)
			e->bias_safe = false;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Panels                                                              */
/* ------------------------------------------------------------------ */

/*
 * Offset of the column sums in one packed 64-column block: the panels of
 * its k blocks, the last only as long as its k values (the sums sit right
 * after the weights, not a whole NPU_MM_KC panel on).
 */
static u64 npu_mm_sums_off(u32 k)
{
	u32 nkb = (k + NPU_MM_KC - 1) / NPU_MM_KC;
	u64 full = npu_mm_panel_bytes(NPU_MM_KC, NPU_MM_COLS);

	return full * (nkb - 1) +
	       npu_mm_panel_bytes(k - (nkb - 1) * NPU_MM_KC, NPU_MM_COLS);
}

/* Bytes of one packed 64-column block over all of K, sums included. */
static u64 npu_mm_block_bytes(u32 k)
{
	u32 nkb = (k + NPU_MM_KC - 1) / NPU_MM_KC;

	return npu_mm_sums_off(k) + 4 * NPU_MM_COLS * (u64)nkb;
}

/* Panel @kb of column block @cb, and its column sums. */
static const u8 *npu_mm_panel(const struct npu_mm *mm, struct npu_ops_ctx *ctx,
			      const struct npu_mm_packed *pk, u32 cb, u32 kb,
			      const s32 **colsum)
{
	u64 full = npu_mm_panel_bytes(NPU_MM_KC, NPU_MM_COLS);
	u32 col0 = cb * NPU_MM_COLS, k0 = kb * NPU_MM_KC;
	u32 w = npu_min_u32(NPU_MM_COLS, mm->n - col0);
	u32 kc = npu_min_u32(NPU_MM_KC, mm->k - k0);
	u64 key = (u64)cb << 32 | kb;
	u8 *panel = ctx->scratch + NPU_MM_SC_PANEL;

	if (pk) {
		const u8 *blk = (const u8 *)(pk + 1) +
				(u64)cb * pk->block_bytes;

		*colsum = (const s32 *)(blk + npu_mm_sums_off(mm->k)) +
			  kb * NPU_MM_COLS;
		return blk + full * kb;
	}
	*colsum = (const s32 *)(ctx->scratch + NPU_MM_SC_COLSUM);
	if (ctx->tag && ctx->cache_tag == ctx->tag && ctx->cache_key == key)
		return panel;
	npu_mm_pack(mm, col0, w, k0, kc, panel,
		    (s32 *)(ctx->scratch + NPU_MM_SC_COLSUM));
	ctx->cache_tag = ctx->tag;
	ctx->cache_key = key;
	return panel;
}

static u64 npu_mm_pack_bytes(const struct npu_mm *mm)
{
	return sizeof(struct npu_mm_packed) +
	       npu_mm_block_bytes(mm->k) *
	       npu_ceil_div(mm->n, NPU_MM_COLS);
}

static void npu_mm_pack_all(const struct npu_mm *mm, u32 isa, void *dst)
{
	struct npu_mm_packed *pk = dst;
	u32 nkb = (mm->k + NPU_MM_KC - 1) / NPU_MM_KC, cb, kb;
	u32 nblk = (u32)npu_ceil_div(mm->n, NPU_MM_COLS);
	u64 full = npu_mm_panel_bytes(NPU_MM_KC, NPU_MM_COLS);

	pk->magic = NPU_MM_PACK_MAGIC;
	pk->isa = isa;
	pk->k = mm->k;
	pk->n = mm->n;
	pk->block_bytes = npu_mm_block_bytes(mm->k);
	for (cb = 0; cb < nblk; cb++) {
		u8 *blk = (u8 *)(pk + 1) + (u64)cb * pk->block_bytes;
		u32 col0 = cb * NPU_MM_COLS;

		for (kb = 0; kb < nkb; kb++)
			npu_mm_pack(mm, col0,
				    npu_min_u32(NPU_MM_COLS, mm->n - col0),
				    kb * NPU_MM_KC,
				    npu_min_u32(NPU_MM_KC,
						mm->k - kb * NPU_MM_KC),
				    blk + full * kb,
				    (s32 *)(blk + npu_mm_sums_off(mm->k)) +
				    kb * NPU_MM_COLS);
	}
}

/* ------------------------------------------------------------------ */
/* The driver                                                          */
/* ------------------------------------------------------------------ */

/* Row sum of @n raw bytes (signed or not), for the zero-point terms. */
static s32 npu_mm_rowsum(const u8 *p, u32 n, bool sgn);

/* Wrapping int32 arithmetic (the zero-point terms, exact in the end). */
static inline s32 npu_add32(s32 a, s32 b)
{
	return (s32)((u32)a + (u32)b);
}

static inline s32 npu_mul32(s32 a, s32 b)
{
	return (s32)((u32)a * (u32)b);
}

/* colterm_j = -za * sumB_j + K * za * zb, once the sums are complete. */
static inline void npu_mm_colterm(const struct npu_mm *mm, struct npu_mm_epi *e)
{
	s32 kzz = npu_mul32(npu_mul32((s32)mm->k, mm->za), mm->zb);
	u32 j;

	for (j = 0; j < NPU_MM_COLS; j++)
		e->colterm[j] = npu_add32(kzz, npu_mul32(-mm->za, e->colsum[j]));
}

/* The row term: -c1 * sumA_r (see the top of this file). */
static inline s32 npu_mm_rowterm(const struct npu_mm *mm, s32 rowsum)
{
	return npu_mul32(-(mm->zb + (mm->sgn ? 128 : 0)), rowsum);
}

#ifdef NPU_MM_KERNEL_EPI
/*
 * Implicit im2col: the @nr rows from pixel @px read in place as k_h runs
 * of k_w * in_c bytes (a whole number of k steps) @rstep apart, their row
 * sums in @rs; false (nothing usable) when a pixel has a tap outside.
 */
static bool npu_mm_tile_inner(const struct npu_mm *mm, struct npu_mm_px px,
			      u32 nr, const u8 **rows, s32 *rs, u64 rstep)
{
	const struct rm_npu_cmd_conv2d *c = mm->c;
	u32 kwl = c->k_w * c->in_c, i, ky;

	for (i = 0; i < nr; i++) {
		if (i)
			npu_mm_px_next(c, &px);
		rows[i] = npu_mm_px_src(mm, &px);
		if (!rows[i])
			return false;
	}
	/* c1 = 0 (uint8 A, zb 0): no row term */
	if (mm->sgn || mm->zb)
		for (i = 0; i < nr; i++)
			for (ky = 0, rs[i] = 0; ky < c->k_h; ky++)
				rs[i] = npu_add32(rs[i], npu_mm_rowsum(
					rows[i] + ky * rstep, kwl, mm->sgn));
	return true;
}

/*
 * Implicit im2col for kernel rows of k_w * in_c bytes that are not whole
 * k steps (a stem convolution of 3 input channels: 9 bytes): each run
 * read in place as whole k steps, its last step reaching up to 3 bytes
 * past the run, against a panel whose weights there are 0 (npu_mm_pack()
 * zeroes k past its range), so those bytes add nothing; the row sums
 * cover the run alone (npu_mm_tile_inner()). Copying each pixel's runs
 * (npu_mm_im2col_inner()) cost more than the multiplies: a masked store
 * then 4-byte loads of it, which the store cannot forward. The panel of
 * block @cb goes to the upper half of the scratch's panel area; NULL when
 * the runs' panel or the plain one would not fit its half. @pkc: its k
 * values, @aend: the end of the input, which no read may pass.
 */
static const u8 *npu_mm_panel_runs(const struct npu_mm *mm,
				   struct npu_ops_ctx *ctx, u32 cb, u32 w,
				   u32 *pkc, const u8 **aend)
{
	const struct rm_npu_cmd_conv2d *c = mm->c;
	u32 kwl = c->k_w * c->in_c, nqs = npu_mm_ksteps(kwl), ky;
	u8 *panel = ctx->scratch + NPU_MM_SC_PANEL + NPU_MM_PANEL_MAX / 2;
	s32 *colsum = (s32 *)(ctx->scratch + NPU_MM_SC_ACC);
	u32 nv = (w + 15) / 16;

	*pkc = c->k_h * nqs * NPU_MM_KSTEP;
	if (2 * (u64)*pkc > NPU_MM_KC || 2 * (u64)mm->k > NPU_MM_KC)
		return NULL;
	for (ky = 0; ky < c->k_h; ky++)
		npu_mm_pack(mm, cb * NPU_MM_COLS, w, ky * kwl, kwl,
			    panel + (u64)ky * nqs * nv * 64, colsum);
	*aend = mm->a + (u64)c->batch * c->in_h * c->in_w * c->in_c;
	return panel;
}
#endif

/*
 * Rows [r, rend) of column block @cb: k blocks, tiles of NPU_MM_MR rows,
 * the epilogue. Rows are taken NPU_MM_MC at a time when K needs several
 * blocks, all at once otherwise.
 */
static int npu_mm_block(const struct npu_mm *mm, struct npu_ops_ctx *ctx,
			const struct npu_mm_packed *pk, u32 cb, u64 r, u64 rend)
{
	struct npu_mm_epi *e = (struct npu_mm_epi *)(ctx->scratch +
						     NPU_MM_SC_EPI);
	s32 *accbuf = (s32 *)(ctx->scratch + NPU_MM_SC_ACC);
	u8 *arows = ctx->scratch + NPU_MM_SC_AROWS;
	u32 nkb = (mm->k + NPU_MM_KC - 1) / NPU_MM_KC;
	u32 col0 = cb * NPU_MM_COLS;
	u32 w = npu_min_u32(NPU_MM_COLS, mm->n - col0);
	u32 nv = (w + 15) / 16, kb, j;
	s32 rowsum[NPU_MM_MC];
	u64 g, gend, t;
#ifdef NPU_MM_KERNEL_EPI
	const u8 *rpanel = NULL, *aend = NULL;
	u64 seg = 0, rseg = 0;
	u32 rkc = 0;
#endif
	int ret;

	ret = npu_mm_epi_load(mm, col0, w, e);
	if (ret)
		return ret;
#ifdef NPU_MM_KERNEL_EPI
	/* im2col rows may be read in place: the stride of their runs */
	if (mm->c && !mm->direct && nkb == 1 && mm->c->dil_w == 1) {
		u64 step = (u64)mm->c->dil_h * mm->c->in_w * mm->c->in_c;

		if ((mm->c->k_w * mm->c->in_c) % NPU_MM_KSTEP == 0)
			seg = step;
		/* or as whole k steps past each run (npu_mm_panel_runs()) */
		else if (npu_mm_epi_fused(e))
			rpanel = npu_mm_panel_runs(mm, ctx, cb, w, &rkc, &aend);
		if (rpanel)
			rseg = step;
	}
#endif
	for (g = r; g < rend; g = gend) {
		gend = nkb == 1 ? rend : npu_min_u64(rend, g + NPU_MM_MC);
		for (j = 0; j < NPU_MM_COLS; j++)
			e->colsum[j] = 0;
		for (kb = 0; kb < nkb; kb++) {
			u32 k0 = kb * NPU_MM_KC;
			u32 kc = npu_min_u32(NPU_MM_KC, mm->k - k0);
			const s32 *cs;
			const u8 *panel = npu_mm_panel(mm, ctx, pk, cb, kb, &cs);

			for (j = 0; j < NPU_MM_COLS; j++)
				e->colsum[j] = npu_add32(e->colsum[j], cs[j]);
			if (nkb == 1)
				npu_mm_colterm(mm, e);
			t = g;
#ifdef NPU_MM_KERNEL_EPI
			/* whole tiles of rows read in place, in one call */
			if (nkb == 1 && mm->lda && kc % NPU_MM_KSTEP == 0 &&
			    gend - g >= NPU_MM_MR &&
			    npu_mm_strip_epi(mm, e, nv, mm->a + g * mm->lda,
					     mm->lda, (gend - g) / NPU_MM_MR,
					     panel, kc, w, mm->out +
					     (g * mm->ldo + col0) * mm->osz,
					     mm->ldo * mm->osz))
				t = g + (gend - g) / NPU_MM_MR * NPU_MM_MR;
#endif
			for (; t < gend; t += NPU_MM_MR) {
				u32 nr = (u32)npu_min_u64(NPU_MM_MR, gend - t);
				const u8 *rows[NPU_MM_MR];
				s32 *acc = nkb == 1 ? accbuf :
					   accbuf + (t - g) * NPU_MM_COLS;
				s32 rs[NPU_MM_MR] = { 0 };
				struct npu_mm_px px = { 0 };
				bool im2col = mm->c && !mm->direct;
				u32 i;

				if (im2col)
					npu_mm_px_set(mm->c, t, &px);
#ifdef NPU_MM_KERNEL_EPI
				/* rows in place where the epilogue is fused */
				if (seg && npu_mm_tile_inner(mm, px, nr, rows,
							     rs, seg) &&
				    npu_mm_kernel_epi(mm, e, nr, nv, rows, panel,
						      kc, mm->c->k_h, seg, rs,
						      w, mm->out +
						      (t * mm->ldo + col0) *
						      mm->osz,
						      mm->ldo * mm->osz))
					continue;
				if (rseg && npu_mm_tile_inner(mm, px, nr, rows,
							      rs, rseg) &&
				    rows[nr - 1] + (mm->c->k_h - 1) * rseg +
				    rkc / mm->c->k_h <= aend &&
				    npu_mm_kernel_epi(mm, e, nr, nv, rows,
						      rpanel, rkc, mm->c->k_h,
						      rseg, rs, w, mm->out +
						      (t * mm->ldo + col0) *
						      mm->osz,
						      mm->ldo * mm->osz))
					continue;
#endif
				for (i = 0; i < nr; i++) {
					u8 *buf = arows + i * NPU_MM_AROW_BYTES;

					if (im2col && i)
						npu_mm_px_next(mm->c, &px);
					rows[i] = npu_mm_row(mm, t + i, k0, kc,
							     &px, buf);
					/* c1 = 0 (uint8 A, zb 0): no row term */
					if (NPU_MM_ASZ == 1 &&
					    (mm->sgn || mm->zb))
						rs[i] = npu_mm_rowsum(rows[i],
								      kc,
								      mm->sgn);
					if (nkb > 1)
						rowsum[t + i - g] = kb ?
							npu_add32(rowsum[t + i - g],
								  rs[i]) : rs[i];
				}
#ifdef NPU_MM_KERNEL_EPI
				/* the epilogue straight from the registers */
				if (nkb == 1 &&
				    npu_mm_kernel_epi(mm, e, nr, nv, rows, panel,
						      kc, 1, 0, rs, w, mm->out +
						      (t * mm->ldo + col0) *
						      mm->osz,
						      mm->ldo * mm->osz))
					continue;
#endif
				npu_mm_kernel(mm, nr, nv, rows, panel, kc, acc,
					      kb == 0);
				if (nkb > 1)
					continue;
				npu_mm_epi_rows(mm, e, acc, rs, nr, w,
						mm->out + (t * mm->ldo + col0) *
						mm->osz, mm->ldo * mm->osz);
			}
		}
		if (nkb == 1)
			continue;
		npu_mm_colterm(mm, e);
		npu_mm_epi_rows(mm, e, accbuf, rowsum, (u32)(gend - g), w,
				mm->out + (g * mm->ldo + col0) * mm->osz,
				mm->ldo * mm->osz);
	}
	return 0;
}

/*
 * Units [u, ue): block cb = u / m, row u % m (GEMM rows or CONV2D output
 * pixels, the same unit order).
 */
static int npu_mm_run(struct npu_mm *mm, struct npu_ops_ctx *ctx,
		      const void *packed, u32 isa, u64 u, u64 ue)
{
	const struct npu_mm_packed *pk = packed;
	int ret;

	if (pk && (pk->magic != NPU_MM_PACK_MAGIC || pk->isa != isa ||
		   pk->k != mm->k || pk->n != mm->n))
		pk = NULL;
	while (u < ue) {
		u64 cb = npu_div64_u64(u, mm->m);
		u64 r = u - cb * mm->m;
		u64 rend = npu_min_u64(mm->m, r + (ue - u));

		ret = npu_mm_block(mm, ctx, pk, (u32)cb, r, rend);
		if (ret)
			return ret;
		u += rend - r;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Commands as matrix multiplies                                       */
/* ------------------------------------------------------------------ */

/* The multiply of a GEMM; @bo NULL gives the geometry only. */
static void npu_mm_from_gemm(const struct rm_npu_cmd *cmd, u8 *const *bo,
			     struct npu_mm *mm)
{
	const struct rm_npu_cmd_gemm *g = &cmd->gemm;

	memset(mm, 0, sizeof(*mm));
	mm->m = g->m;
	mm->n = g->n;
	mm->k = g->k;
	mm->sgn = g->a_dtype == RM_NPU_DT_INT8;
	mm->za = g->a_zero_point;
	mm->zb = g->b_zero_point;
	mm->a = bo ? bo[g->a.bo] + g->a.offset : NULL;
	mm->lda = g->lda;
	mm->b = bo ? (const s8 *)(bo[g->b.bo] + g->b.offset) : NULL;
	mm->ldb = g->ldb;
	mm->out = bo ? bo[g->out.bo] + g->out.offset : NULL;
	mm->ldo = g->ldo;
	mm->osz = g->out_dtype == RM_NPU_DT_INT32 ? 4 : 1;
	mm->flags = cmd->flags;
	mm->rq = &g->rq;
	mm->bias = bo && cmd->flags & RM_NPU_MM_BIAS ?
		   bo[g->bias.bo] + g->bias.offset : NULL;
	mm->quant = bo && cmd->flags & RM_NPU_MM_PER_CHANNEL ?
		    bo[g->quant.bo] + g->quant.offset : NULL;
	mm->out_dtype = g->out_dtype;
}

/*
 * Dense (groups 1) convolutions run as GEMMs; false for the others (the
 * epilogue fields are set all the same). @bo may be NULL (geometry only),
 * as for npu_mm_from_gemm().
 */
static bool npu_mm_from_conv(const struct rm_npu_cmd *cmd, u8 *const *bo,
			     struct npu_mm *mm)
{
	const struct rm_npu_cmd_conv2d *c = &cmd->conv2d;

	memset(mm, 0, sizeof(*mm));
	mm->c = c;
	mm->m = npu_conv_pixels(c);
	mm->n = c->out_c;
	mm->k = c->k_h * c->k_w * c->in_c;
	mm->sgn = c->in_dtype == RM_NPU_DT_INT8;
	mm->za = c->in_zero_point;
	mm->zb = c->w_zero_point;
	mm->a = bo ? bo[c->in.bo] + c->in.offset : NULL;
	mm->b = bo ? (const s8 *)(bo[c->weights.bo] + c->weights.offset) :
		NULL;
	mm->ldb = mm->k;
	mm->bt = true;
	mm->direct = c->k_h == 1 && c->k_w == 1 && !c->pad_top &&
		     !c->pad_left && !c->pad_bottom && !c->pad_right;
	/* stride 1 as well: output pixel p reads input pixel p, a GEMM row */
	if (mm->direct && c->stride_h == 1 && c->stride_w == 1)
		mm->lda = c->in_c;
	mm->out = bo ? bo[c->out.bo] + c->out.offset : NULL;
	mm->ldo = c->out_c;
	mm->osz = c->out_dtype == RM_NPU_DT_INT32 ? 4 : 1;
	mm->flags = cmd->flags;
	mm->rq = &c->rq;
	mm->bias = bo && cmd->flags & RM_NPU_MM_BIAS ?
		   bo[c->bias.bo] + c->bias.offset : NULL;
	mm->quant = bo && cmd->flags & RM_NPU_MM_PER_CHANNEL ?
		    bo[c->quant.bo] + c->quant.offset : NULL;
	mm->out_dtype = c->out_dtype;
	return c->groups == 1;
}

/*
 * The multiply of a GEMM or dense CONV2D for packing: geometry, and only
 * the weight operand's address (the only bytes npu_cmd_pack() reads; the
 * other buffers need not exist yet).
 */
static bool npu_mm_for_pack(const struct rm_npu_cmd *cmd, u8 *const *bo,
			    struct npu_mm *mm)
{
	const struct rm_npu_ref *w;

	if (cmd->opcode == RM_NPU_OP_GEMM) {
		npu_mm_from_gemm(cmd, NULL, mm);
		w = &cmd->gemm.b;
	} else if (cmd->opcode == RM_NPU_OP_CONV2D &&
		   npu_mm_from_conv(cmd, NULL, mm)) {
		w = &cmd->conv2d.weights;
	} else {
		return false;
	}
	if (bo)
		mm->b = (const s8 *)(bo[w->bo] + w->offset);
	return true;
}

#endif /* _NPU_OPS_MM_H */
