// SPDX-License-Identifier: MIT
//
// ort-bench.js - onnxruntime's time per inference on the models of
// `make bench` (tests/bench/run-peers): the benchmark peer of libnpurt's
// CPU backend (tests/bench/model-bench.c). Host only.
//
//   node tests/bench/ort-bench.js [-r REPS] [-t SECONDS] [-j THREADS,...]
//                                 MODEL_DIR...
//
// MODEL_DIR holds model.onnx and test_data_set_0/input_N.pb (ONNX's test
// layout). For each model and thread count T (intraOpNumThreads; default
// 1,2), one session on the CPU execution provider, two warm-up runs, then
// REPS repetitions (default 5) of as many runs as fill SECONDS / REPS
// (default 1 s in all, at least one run each): one line
//
//   model_NAME_ortT MS ms        the median over the repetitions
//
// NAME is MODEL_DIR's last component. A model onnxruntime cannot load or
// run gets a "# " note instead, and the others go on. onnxruntime-node is
// found at $ORT_NODE (a package directory), else $BUILD/ort/node_modules/
// onnxruntime-node (tools/install-ort). Exit status: 0, or 1 when the
// package cannot be loaded, 2 on a bad command line; timings never fail.
'use strict';

const fs = require('fs');
const path = require('path');

function usage() {
	process.stderr.write('usage: ort-bench.js [-r REPS] [-t SECONDS] ' +
			     '[-j THREADS,...] MODEL_DIR...\n');
	process.exit(2);
}

// ---- TensorProto (onnx.proto), the fields an input needs ---------------

const ONNX_FLOAT = 1, ONNX_UINT8 = 2, ONNX_INT8 = 3, ONNX_INT32 = 6,
	ONNX_INT64 = 7;

function readVarint(buf, pos) {
	let v = 0n, shift = 0n;

	for (;;) {
		if (pos.i >= buf.length)
			throw new Error('truncated varint');
		const b = buf[pos.i++];
		v |= BigInt(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
		shift += 7n;
	}
}

// Returns { name, dtype, dims, bytes } of a serialized TensorProto.
function decodeTensor(buf) {
	const t = { name: '', dtype: 0, dims: [], bytes: null };
	const floats = [], ints = [];
	const pos = { i: 0 };

	while (pos.i < buf.length) {
		const key = Number(readVarint(buf, pos));
		const field = key >>> 3, wire = key & 7;
		let end, v;

		if (wire === 0) {
			v = readVarint(buf, pos);
			if (field === 1)
				t.dims.push(Number(v));
			else if (field === 2)
				t.dtype = Number(v);
			else if (field === 5 || field === 7)
				ints.push(v);
			continue;
		}
		if (wire === 5) {
			if (field === 4)
				floats.push(buf.readFloatLE(pos.i));
			pos.i += 4;
			continue;
		}
		if (wire === 1) {
			pos.i += 8;
			continue;
		}
		if (wire !== 2)
			throw new Error(`TensorProto: wire type ${wire}`);
		const len = Number(readVarint(buf, pos));
		end = pos.i + len;
		if (end > buf.length)
			throw new Error('TensorProto: truncated field');
		if (field === 1 || field === 5 || field === 7) {
			while (pos.i < end) {	// packed varints
				v = readVarint(buf, pos);
				(field === 1 ? t.dims : ints).push(field === 1 ?
								   Number(v) : v);
			}
		} else if (field === 4) {	// packed floats
			for (; pos.i < end; pos.i += 4)
				floats.push(buf.readFloatLE(pos.i));
		} else if (field === 8) {
			t.name = buf.toString('utf8', pos.i, end);
		} else if (field === 9) {
			t.bytes = buf.subarray(pos.i, end);
		}
		pos.i = end;
	}
	if (!t.bytes && floats.length)
		t.bytes = Buffer.from(new Float32Array(floats).buffer);
	if (!t.bytes && ints.length && t.dtype === ONNX_INT64)
		t.bytes = Buffer.from(new BigInt64Array(ints).buffer);
	if (!t.bytes && ints.length && t.dtype === ONNX_INT32)
		t.bytes = Buffer.from(new Int32Array(ints.map(Number)).buffer);
	return t;
}

function ortTensor(ort, t) {
	const b = Buffer.from(t.bytes);	// own, aligned copy
	const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.length);

	switch (t.dtype) {
	case ONNX_FLOAT:
		return new ort.Tensor('float32', new Float32Array(ab), t.dims);
	case ONNX_UINT8:
		return new ort.Tensor('uint8', new Uint8Array(ab), t.dims);
	case ONNX_INT8:
		return new ort.Tensor('int8', new Int8Array(ab), t.dims);
	case ONNX_INT32:
		return new ort.Tensor('int32', new Int32Array(ab), t.dims);
	case ONNX_INT64:
		return new ort.Tensor('int64', new BigInt64Array(ab), t.dims);
	default:
		throw new Error(`input "${t.name}": ONNX type ${t.dtype}`);
	}
}

// The test set's inputs, by the session's input names (in order).
function loadInputs(ort, dir, names) {
	const feeds = {};

	names.forEach((name, k) => {
		const file = path.join(dir, 'test_data_set_0', `input_${k}.pb`);
		feeds[name] = ortTensor(ort, decodeTensor(fs.readFileSync(file)));
	});
	return feeds;
}

// ---- timing -------------------------------------------------------------

function median(v) {
	const s = [...v].sort((a, b) => a - b);
	const n = s.length;

	return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

async function benchModel(ort, dir, threads, reps, secs) {
	const name = path.basename(path.resolve(dir));
	const file = path.join(dir, 'model.onnx');
	let session;

	try {
		session = await ort.InferenceSession.create(file, {
			executionProviders: ['cpu'],
			intraOpNumThreads: threads,
			interOpNumThreads: 1,
			executionMode: 'sequential',
			graphOptimizationLevel: 'all',
		});
	} catch (e) {
		console.log(`# ${name}: onnxruntime cannot load it: ${e.message}`);
		return;
	}
	try {
		const feeds = loadInputs(ort, dir, session.inputNames);
		const per = [];

		await session.run(feeds);	// warm-up
		await session.run(feeds);
		for (let r = 0; r < reps; r++) {
			const t0 = process.hrtime.bigint();
			let n = 0, dt;

			do {
				await session.run(feeds);
				n++;
				dt = Number(process.hrtime.bigint() - t0) / 1e6;
			} while (dt < secs * 1e3 / reps);
			per.push(dt / n);
		}
		console.log(`model_${name}_ort${threads} ${median(per).toPrecision(6)} ms`);
	} catch (e) {
		console.log(`# ${name}: onnxruntime cannot run it: ${e.message}`);
	} finally {
		await session.release();
	}
}

async function main() {
	const args = process.argv.slice(2);
	let reps = 5, secs = 1, threads = [1, 2];
	const dirs = [];

	for (let i = 0; i < args.length; i++) {
		if (args[i] === '-r')
			reps = parseInt(args[++i], 10);
		else if (args[i] === '-t')
			secs = parseFloat(args[++i]);
		else if (args[i] === '-j')
			threads = args[++i].split(',').map((s) => parseInt(s, 10));
		else if (args[i].startsWith('-'))
			usage();
		else
			dirs.push(args[i]);
	}
	if (!dirs.length || !(reps >= 1) || !(secs > 0) ||
	    threads.some((t) => !(t >= 1)))
		usage();

	const pkg = process.env.ORT_NODE ||
		    path.join(process.env.BUILD || 'build', 'ort', 'node_modules',
			      'onnxruntime-node');
	let ort;

	try {
		ort = require(path.resolve(pkg));
	} catch (e) {
		process.stderr.write(`ort-bench: cannot load ${pkg}: ${e.message}\n`);
		process.exit(1);
	}
	const version = JSON.parse(fs.readFileSync(path.join(path.resolve(pkg),
						   'package.json'))).version;
	console.log(`# onnxruntime-node ${version}, CPU EP, intraOpNumThreads ` +
		    `${threads.join(',')}, ${reps} reps of ${(secs / reps).toFixed(3)} s, medians`);
	for (const dir of dirs)
		for (const t of threads)
			await benchModel(ort, dir, t, reps, secs);
}

main();
