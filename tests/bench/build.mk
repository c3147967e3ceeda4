# tests/bench/build.mk - `make bench`: rm_npu micro-benchmarks run inside
# one VM boot (tools/npu-vm), then the peers (oneDNN, onnxruntime) on the
# host. Included by the top-level Makefile.
#
#   $(BUILD)/bench/npu-bench   tests/bench/npu-bench.c with two builds of
#                              kmod/ops/npu_ops.c: the userspace one
#                              (libnpurt's) and the scalar one (the loops of
#                              the kernel build, renamed *_scalar)
#   $(BUILD)/bench/npu.txt     the figures, "name value unit" per line
#   $(BUILD)/bench/npu.json    the same as JSON
#   $(BUILD)/bench/npurt-bench runtime/bench/npurt-bench.c (runtime/build.mk),
#                              libnpurt's figures, run in the same boot
#   $(BUILD)/bench/npurt.txt, npurt.json   its figures, the same way
#
# Figures only: `make bench` fails when the VM, a node, an ioctl or a result
# check fails, never because of a timing. BENCH_ARGS are passed to
# npu-bench and npurt-bench (e.g. BENCH_ARGS="-r 3 -q"), BENCH_MODPARAMS
# to insmod.

NPU_BENCH        := $(BUILD)/bench/npu-bench
BENCH_ARGS       ?=
BENCH_MODPARAMS  ?= num_pes=2
BENCH_TARGETS    += $(NPU_BENCH)

$(NPU_BENCH): tests/bench/npu-bench.c $(NPU_OPS_SRCS) $(NPU_OPS_HDRS) \
		| $(BUILD)/bench/
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ tests/bench/npu-bench.c \
		$(NPU_OPS_SRCS) $(LDFLAGS) -lpthread

# ops-bench: the op kernels of every variant this CPU has, in this process
# (tests/bench/ops-bench.c). `make bench` runs it in the guest too (the
# variants the VM's CPU has); `make ops-bench` runs it on the host.
OPS_BENCH        := $(BUILD)/bench/ops-bench
OPS_BENCH_ARGS   ?= -r 5 -t 2
BENCH_TARGETS    += $(OPS_BENCH)

$(OPS_BENCH): tests/bench/ops-bench.c $(NPU_OPS_SRCS) $(NPU_OPS_HDRS) \
		| $(BUILD)/bench/
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ tests/bench/ops-bench.c \
		$(NPU_OPS_SRCS) $(LDFLAGS) -lpthread

.PHONY: ops-bench
ops-bench: $(OPS_BENCH)
	$(OPS_BENCH) $(OPS_BENCH_ARGS)

# libnpurt's benchmark (runtime/build.mk's $(NPURT_BENCH)) runs in the
# same boot, after npu-bench: $(BUILD)/bench/npurt.txt and npurt.json.
BENCH_NPURT := $(if $(NPURT_BENCH),--npurt $(NPURT_BENCH) $(BUILD)/bench/npurt)

# npu-compile's figures (tools/npu-compile/npuc-bench.c), when it is built:
# $(BUILD)/bench/npuc.txt and npuc.json.
BENCH_NPUC = $(if $(filter $(BUILD)/bin/npuc-bench,$(BIN_TARGETS)),--npuc \
	$(BUILD)/bin/npuc-bench $(NPUC_BENCH_MODEL) $(BUILD)/bench/npuc)

# The peers' programs (below), named here: a rule's prerequisites are
# expanded where it is read.
GEMM_PEERS   := $(BUILD)/bench/gemm-peers
MODEL_BENCH  := $(BUILD)/bench/model-bench

# The VM figures, then the peers on the host (one after the other: never
# two benchmarks at once).
bench: all $(NPU_BENCH) $(NPURT_BENCH) $(GEMM_PEERS) $(MODEL_BENCH)
	BUILD=$(BUILD) tests/bench/run-bench --modparams "$(BENCH_MODPARAMS)" \
		$(BENCH_NPURT) $(BENCH_NPUC) $(NPU_BENCH) $(BUILD)/bench/npu \
		$(BENCH_ARGS)
	$(BENCH_PEERS_CMD)

# ---- peers (issue #11 item 5): libnpurt's CPU backend against oneDNN and
# onnxruntime, on the host, after the VM part of `make bench` (or alone:
# `make bench-peers`). Built only for these targets: oneDNN (libdnnl-dev)
# is a benchmark-only dependency, onnxruntime-node comes from
# tools/install-ort.
#
#   $(BUILD)/bench/gemm-peers    tests/bench/gemm-peers.c: oneDNN's int8
#                                matmul vs cpu(1), cpu(2), GEMM 512^3, 1024^3
#   $(BUILD)/bench/model-bench   tests/bench/model-bench.c: cpu(1), cpu(2) on
#                                each model of BENCH_MODELS
#   $(BUILD)/bench/peers.txt, peers.json, peers.log   the figures
#
# BENCH_MODELS: a folder of NAME/model.onnx + NAME/test_data_set_0/ (ONNX's
# test layout): tests/models once vendored, else ../shared/models.
BENCH_MODELS ?= $(firstword $(wildcard tests/models) $(wildcard ../shared/models))

$(GEMM_PEERS): tests/bench/gemm-peers.c runtime/include/npurt.h \
		| $(NPURT_SO_LNKS) $(BUILD)/bench/
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -fopenmp -Iruntime/include -o $@ $< \
		$(LDFLAGS) -L$(BUILD)/lib -lnpurt \
		-Wl,-rpath,$(abspath $(BUILD)/lib) -ldnnl

$(MODEL_BENCH): tests/bench/model-bench.c $(NPUC_LIB) runtime/include/npurt.h \
		| $(NPURT_SO_LNKS) $(BUILD)/bench/
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(NPUC_CFLAGS) -o $@ $< $(LDFLAGS) \
		$(NPUC_LIB) $(NPUC_LDLIBS)

# onnxruntime-node installs once (npm); without it the models get a note.
BENCH_PEERS_CMD = { BUILD=$(BUILD) tools/install-ort > /dev/null || true; } && \
	BUILD=$(BUILD) tests/bench/run-peers --models "$(BENCH_MODELS)" \
		$(GEMM_PEERS) $(MODEL_BENCH) $(BUILD)/bench/peers $(BENCH_ARGS)

.PHONY: bench-peers
bench-peers: all $(GEMM_PEERS) $(MODEL_BENCH)
	$(BENCH_PEERS_CMD)
