/* SPDX-License-Identifier: MIT */
/*
 * run.h - npu-run's parts: tensor files (run_io.c), latency, throughput
 * and utilization figures (run_measure.c), output comparison against a
 * test-data folder (run_compare.c), tied together by npu-run.c.
 */
#ifndef NPU_RUN_H
#define NPU_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <npurt.h>

/* Every function returns 0 or a negative errno; run_last_error() holds
 * the sentence that explains the latest failure. */
int run_err(int ret, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *run_last_error(void);

/* ---- run_io.c: tensors in files ---------------------------------------- */

/* A tensor from a file: dense, row-major, little endian. */
struct run_tensor {
	char name[NPURT_NAME_MAX];	/* "" when the file has none */
	uint32_t dtype;			/* enum npurt_dtype; 0: raw bytes */
	unsigned int ndim;		/* 0 for raw files */
	uint64_t dims[NPURT_MAX_DIMS];
	void *data;
	size_t size;			/* bytes */
};

/*
 * Read @path by its extension: ".pb" a serialized ONNX TensorProto (through
 * libnpuc's decoder), ".npy" a NumPy array (format 1.0 to 3.0, C order,
 * little endian), anything else raw bytes.
 */
int run_tensor_read(const char *path, struct run_tensor *t);
/* Write a TensorProto (.pb) named @name of @desc's dtype and @dims. */
int run_tensor_write_pb(const char *path, const char *name, uint32_t dtype,
			unsigned int ndim, const uint64_t *dims,
			const void *data, size_t size);
void run_tensor_free(struct run_tensor *t);
/* Fill @size bytes of @dtype pseudo-randomly from @seed: integers over
 * their range, floats uniform in [-1, 1). */
void run_tensor_random(void *data, size_t size, uint32_t dtype,
		       uint64_t seed);
/* One element as a double (for comparisons). */
double run_elem(const void *data, size_t i, uint32_t dtype);

/* ---- run_measure.c: figures -------------------------------------------- */

struct run_latency {
	double mean_ms, p50_ms, p90_ms, p99_ms, min_ms, max_ms;
};

/* Statistics of @n latencies in nanoseconds (sorted in place). */
void run_latency_stats(uint64_t *ns, size_t n, struct run_latency *out);

/* The counters of one runtime device at one moment. */
struct run_dev_sample {
	uint64_t busy_ns;		/* NPU: sum over the device's PEs */
	uint64_t jobs;			/* NPU: jobs completed */
	uint64_t cpu_ns;		/* CPU: this process's CPU time */
};

int run_dev_sample(const npurt_device *dev, struct run_dev_sample *s);

/* Utilization over @wall_ns between two samples: busy time over the
 * device's PEs (NPU) or worker threads (CPU). */
double run_dev_utilization(const npurt_device *dev,
			   const struct run_dev_sample *a,
			   const struct run_dev_sample *b, uint64_t wall_ns);

/* ---- run_compare.c: outputs against reference tensors ------------------- */

struct run_compare {
	char name[NPURT_NAME_MAX];
	bool quantized;			/* in units of the output's step */
	bool integer;			/* integer output: units are values */
	double scale;			/* quantized float outputs */
	int32_t zero_point;
	uint64_t count, equal;		/* elements; equal in units/values */
	double max_diff;		/* units (quantized) or absolute */
	double max_rel;			/* float outputs: largest relative */
	uint64_t rows, argmax_agree;	/* 2-D outputs: rows [B, C] */
	bool within;			/* max_diff within the tolerance */
};

/*
 * Compare output @out (@desc: the runner's batched description) with
 * reference @ref, which holds one batch item or the whole batch (each
 * item is compared with it). Float outputs with a quantization scale are
 * compared in units of that step (|got - ref| / scale, rounded), integer
 * outputs in their own units, other float outputs as floats.
 * @tolerance: units, or for plain float outputs the absolute tolerance
 * added to 1e-3 of the reference value.
 */
int run_compare_output(const npurt_tensor_desc *desc, unsigned int batch,
		       const void *out, const struct run_tensor *ref,
		       double tolerance, struct run_compare *res);

#endif /* NPU_RUN_H */
