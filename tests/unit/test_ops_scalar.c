// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_ops.c against the engine built with NPU_OPS_SCALAR: the loops the
 * kernel build (no SIMD) runs. kmod/ops/build.mk sets the flag for this
 * test's objects.
 */
#include "test_ops.c"
