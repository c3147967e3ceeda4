// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_ops.c against the engine built with NPU_OPS_NO_CLONES: the
 * vectorized loops for the baseline instruction set only (on a machine
 * with AVX2, test_ops itself runs the x86-64-v3 clones). kmod/ops/build.mk
 * sets the flag for this test's objects.
 */
#include "test_ops.c"
