# kmod/ops: the command engine (validation and bit-exact execution of
# struct rm_npu_cmd), one source built into rm_npu.ko (see Kbuild:
# kmod/ops/npu_ops.o) and into userspace (the libnpurt CPU backend, tests).
#
# Userspace users add $(NPU_OPS_SRCS) to their sources; the include path
# (-Ikmod/ops -Iuapi) is in BASE_CFLAGS.
#
# Must be included before tests/unit/build.mk (it is: build.mk fragments
# are included in sorted order), which reads the test_*_SRCS set here.

NPU_OPS_DIR  := kmod/ops
NPU_OPS_SRCS := $(NPU_OPS_DIR)/npu_ops.c $(NPU_OPS_DIR)/npu_ops_scalar.c \
	$(NPU_OPS_DIR)/npu_ops_avx2.c $(NPU_OPS_DIR)/npu_ops_avx512.c
NPU_OPS_HDRS := $(NPU_OPS_DIR)/npu_ops.h $(NPU_OPS_DIR)/npu_ops_shim.h \
	$(NPU_OPS_DIR)/npu_ops_impl.h $(NPU_OPS_DIR)/npu_ops_mm.h \
	uapi/rm_npu.h

# The sources: npu_ops.c (validation, dispatch, variant choice),
# npu_ops_scalar.c (the portable kernels), npu_ops_avx2.c and
# npu_ops_avx512.c (SIMD kernels; userspace builds them with target
# pragmas, the kernel with Kbuild's flags), npu_ops_mm.h (their shared
# blocked GEMM driver).
#
# tests/unit/test_ops.c: the engine as userspace builds it, every test run
# once per variant this CPU has (scalar, avx2, avx512; NPU_OPS_ISA=NAME for
# one). The portable kernels have vectorizable loops, on x86-64 also cloned
# for x86-64-v3 and picked at load time. The same tests run twice more on
# other builds of the same sources: test_ops_baseline (NPU_OPS_NO_CLONES:
# baseline ISA only) and test_ops_scalar (NPU_OPS_SCALAR: the scalar loops
# the kernel's portable variant uses).
test_ops_SRCS := $(NPU_OPS_SRCS)
test_ops_LIBS := -lpthread
test_ops_baseline_SRCS := $(NPU_OPS_SRCS)
test_ops_baseline_CFLAGS := -DNPU_OPS_NO_CLONES
test_ops_baseline_LIBS := -lpthread
test_ops_scalar_SRCS := $(NPU_OPS_SRCS)
test_ops_scalar_CFLAGS := -DNPU_OPS_SCALAR
test_ops_scalar_LIBS := -lpthread
