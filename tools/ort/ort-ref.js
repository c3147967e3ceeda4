#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// ort-ref.js - onnxruntime (CPU) as the model tests' oracle: random inputs
// and onnxruntime's outputs for them, in ONNX's test layout.
//
//   node tools/ort/ort-ref.js MODEL_DIR [--sets N] [--seed S] [--threads T]
//                             [--out DIR]
//   node tools/ort/ort-ref.js MODEL_DIR --check [--threads T]
//   node tools/ort/ort-ref.js --codec FILE.pb...
//
// The first form reads MODEL_DIR/model.onnx and writes
// OUT/test_data_set_1 .. test_data_set_N (OUT: --out, default MODEL_DIR),
// each with input_K.pb (one per graph input, in order) and output_K.pb
// (onnxruntime's outputs, in order), TensorProto files laid out as
// test_data_set_0 of ../shared/models/* (dims, data_type, raw_data, no
// name). Other .pb files in those folders are removed first. Defaults:
// --sets 1, --seed 0, --threads 1 (onnxruntime's intra-op threads; one
// inter-op thread, sequential execution, every graph optimization).
//
// Inputs are standard-normal float32 drawn from one generator for the
// whole run, in order: set 1 input 0, set 1 input 1, ..., set 2 input 0...
// The generator is xoshiro128** (Blackman and Vigna) whose four state
// words are the first four outputs of splitmix32 started at the seed
// (0 <= S < 2^32). A uniform double u in [0, 1) takes two outputs a, b:
// u = ((a >>> 5) * 2^26 + (b >>> 6)) / 2^53. Normals come in pairs by
// Box-Muller from u1, u2: r = sqrt(-2 ln(1 - u1)), z0 = r cos(2 pi u2),
// z1 = r sin(2 pi u2), each rounded to float32 (an odd count drops the
// last z1). Only float32 inputs with fixed shapes are accepted: a dynamic
// dimension or another input type is an error.
//
// --check runs MODEL_DIR/test_data_set_0's inputs and requires the outputs
// to equal its output_K.pb byte for byte, and every .pb file there to
// decode and encode back to the same bytes. --codec only does the latter
// for the files given (no onnxruntime needed).
//
// onnxruntime-node comes from tools/install-ort (which prints its
// package directory), or from $ORT_NODE_DIR when set.
//
// Exit status: 0 success, 1 failure (message on stderr), 2 bad usage.
'use strict';

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const tp = require('./tensor_proto');

const USAGE = 'usage: ort-ref.js MODEL_DIR [--sets N] [--seed S] ' +
	'[--threads T] [--out DIR] | MODEL_DIR --check [--threads T] | ' +
	'--codec FILE.pb...';

class UsageError extends Error {}

function parseArgs(argv) {
	const o = { sets: 1, seed: 0, threads: 1, out: null, check: false,
		    codec: false, files: [] };
	const intArg = (name, v, lo, hi) => {
		if (v === undefined || !/^[0-9]+$/.test(v) || Number(v) < lo ||
		    Number(v) > hi)
			throw new UsageError(`${name} needs an integer in ${lo}..${hi}`);
		return Number(v);
	};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--sets')
			o.sets = intArg(a, argv[++i], 1, 1000);
		else if (a === '--seed')
			o.seed = intArg(a, argv[++i], 0, 2 ** 32 - 1);
		else if (a === '--threads')
			o.threads = intArg(a, argv[++i], 1, 1024);
		else if (a === '--out') {
			if (argv[i + 1] === undefined)
				throw new UsageError('--out needs a directory');
			o.out = argv[++i];
		} else if (a === '--check')
			o.check = true;
		else if (a === '--codec')
			o.codec = true;
		else if (a === '-h' || a === '--help')
			throw new UsageError('');
		else if (a.startsWith('-'))
			throw new UsageError(`unknown option ${a}`);
		else
			o.files.push(a);
	}
	if (o.codec ? !o.files.length : o.files.length !== 1)
		throw new UsageError(o.codec ? '--codec needs files' :
				     'one MODEL_DIR expected');
	if (o.check && o.out)
		throw new UsageError('--check does not write: no --out');
	return o;
}

// ---- the seeded normal generator (documented above) ----------------------

function splitmix32(seed) {
	let s = seed >>> 0;
	return () => {
		s = (s + 0x9e3779b9) >>> 0;
		let z = s;
		z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
		z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
		return (z ^ (z >>> 16)) >>> 0;
	};
}

function xoshiro128ss(seed) {
	const sm = splitmix32(seed);
	const s = [sm(), sm(), sm(), sm()];
	const rotl = (x, k) => ((x << k) | (x >>> (32 - k))) >>> 0;
	return () => {
		const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
		const t = (s[1] << 9) >>> 0;
		s[2] = (s[2] ^ s[0]) >>> 0;
		s[3] = (s[3] ^ s[1]) >>> 0;
		s[1] = (s[1] ^ s[2]) >>> 0;
		s[0] = (s[0] ^ s[3]) >>> 0;
		s[2] = (s[2] ^ t) >>> 0;
		s[3] = rotl(s[3], 11);
		return result;
	};
}

function normalGenerator(seed) {
	const next = xoshiro128ss(seed);
	const uniform = () => ((next() >>> 5) * 2 ** 26 + (next() >>> 6)) / 2 ** 53;
	return (n) => {
		const out = new Float32Array(n);
		for (let i = 0; i < n; i += 2) {
			const r = Math.sqrt(-2 * Math.log(1 - uniform()));
			const th = 2 * Math.PI * uniform();
			out[i] = r * Math.cos(th);
			if (i + 1 < n)
				out[i + 1] = r * Math.sin(th);
		}
		return out;
	};
}

// ---- onnxruntime ---------------------------------------------------------

function loadOrt() {
	let dir = process.env.ORT_NODE_DIR;
	if (!dir) {
		const install = path.join(__dirname, '..', 'install-ort');
		try {
			dir = execFileSync(install, { encoding: 'utf8',
				stdio: ['ignore', 'pipe', 'inherit'] }).trim();
		} catch (e) {
			throw new Error(`${install} failed (${e.message.split('\n')[0]})`);
		}
	}
	return require(dir);
}

async function openSession(ort, model, threads) {
	if (!fs.existsSync(model))
		throw new Error(`${model}: no such file`);
	const session = await ort.InferenceSession.create(model, {
		executionProviders: ['cpu'], intraOpNumThreads: threads,
		interOpNumThreads: 1, executionMode: 'sequential',
		graphOptimizationLevel: 'all',
	});
	if (!Array.isArray(session.inputMetadata))
		throw new Error('this onnxruntime-node has no inputMetadata ' +
				'(1.30.0 expected)');
	return session;
}

function outputsToProtos(session, results) {
	return session.outputNames.map((name) => {
		const t = results[name];
		const data = t.data;
		if (!ArrayBuffer.isView(data))
			throw new Error(`output ${name}: ${t.type} is not a numeric tensor`);
		return {
			dims: Array.from(t.dims, Number), dataType: tp.dataTypeOf(t.type),
			raw: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
		};
	});
}

function protoToTensor(ort, p) {
	const type = tp.ortTypeOf(p.dataType);
	const Ctor = { float32: Float32Array, uint8: Uint8Array, int8: Int8Array,
		       uint16: Uint16Array, int16: Int16Array, int32: Int32Array,
		       int64: BigInt64Array, bool: Uint8Array, float16: Uint16Array,
		       float64: Float64Array, uint32: Uint32Array,
		       uint64: BigUint64Array }[type];
	const raw = Buffer.from(p.raw);	// aligned copy
	const data = new Ctor(raw.buffer, raw.byteOffset,
			      raw.length / Ctor.BYTES_PER_ELEMENT);
	return new ort.Tensor(type, data, p.dims);
}

// ---- modes ---------------------------------------------------------------

function checkCodec(file) {
	const bytes = fs.readFileSync(file);
	let t;
	try {
		t = tp.decode(bytes);
	} catch (e) {
		throw new Error(`${file}: ${e.message}`);
	}
	if (!tp.encode(t).equals(bytes))
		throw new Error(`${file}: decoded and encoded again, the bytes differ`);
	return t;
}

function maxAbsDiff(a, b) {
	if (a.dataType !== 1 || a.raw.length !== b.raw.length)
		return NaN;
	let m = 0;
	for (let i = 0; i < a.raw.length; i += 4)
		m = Math.max(m, Math.abs(a.raw.readFloatLE(i) - b.raw.readFloatLE(i)));
	return m;
}

async function check(o) {
	const ort = loadOrt();
	const dir = o.files[0], set = path.join(dir, 'test_data_set_0');
	const session = await openSession(ort, path.join(dir, 'model.onnx'),
					  o.threads);
	const feeds = {};
	session.inputNames.forEach((name, k) => {
		feeds[name] = protoToTensor(ort, checkCodec(path.join(set, `input_${k}.pb`)));
	});
	const got = outputsToProtos(session, await session.run(feeds));
	got.forEach((g, k) => {
		const file = path.join(set, `output_${k}.pb`);
		const want = checkCodec(file);
		if (String(g.dims) !== String(want.dims) || g.dataType !== want.dataType)
			throw new Error(`${file}: onnxruntime gives [${g.dims}] type ` +
					`${g.dataType}, the file [${want.dims}] type ${want.dataType}`);
		if (!g.raw.equals(want.raw))
			throw new Error(`${file}: onnxruntime's output differs ` +
					`(max |diff| ${maxAbsDiff(g, want)})`);
	});
	console.log(`ort-ref: ${dir}: ${got.length} output(s) equal to ` +
		    'test_data_set_0, codec round trip exact');
}

async function generate(o) {
	const ort = loadOrt();
	const dir = o.files[0], out = o.out || dir;
	const session = await openSession(ort, path.join(dir, 'model.onnx'),
					  o.threads);
	const inputs = session.inputNames.map((name) => {
		const m = session.inputMetadata.find((x) => x.name === name);
		if (!m || !m.isTensor || m.type !== 'float32')
			throw new Error(`input ${name}: ${m ? m.type : 'no metadata'}, ` +
					'only float32 tensors get random data');
		if (!m.shape.every((d) => Number.isInteger(d) && d > 0))
			throw new Error(`input ${name} has a dynamic shape ` +
					`[${m.shape}]: fixed shapes only`);
		return { name, dims: m.shape.slice(),
			 count: m.shape.reduce((a, b) => a * b, 1) };
	});
	const normal = normalGenerator(o.seed);
	for (let s = 1; s <= o.sets; s++) {
		const setDir = path.join(out, `test_data_set_${s}`);
		fs.mkdirSync(setDir, { recursive: true });
		for (const f of fs.readdirSync(setDir))
			if (f.endsWith('.pb'))
				fs.unlinkSync(path.join(setDir, f));
		const feeds = {};
		inputs.forEach((inp, k) => {
			const data = normal(inp.count);
			feeds[inp.name] = new ort.Tensor('float32', data, inp.dims);
			fs.writeFileSync(path.join(setDir, `input_${k}.pb`), tp.encode({
				dims: inp.dims, dataType: 1,
				raw: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
			}));
		});
		const got = outputsToProtos(session, await session.run(feeds));
		got.forEach((g, k) => fs.writeFileSync(
			path.join(setDir, `output_${k}.pb`), tp.encode(g)));
	}
	console.log(`ort-ref: ${out}: test_data_set_1..${o.sets} (seed ${o.seed}, ` +
		    `${o.threads} thread(s))`);
}

async function main() {
	let o;
	try {
		o = parseArgs(process.argv.slice(2));
	} catch (e) {
		if (!(e instanceof UsageError))
			throw e;
		if (e.message)
			console.error(`ort-ref: ${e.message}`);
		console.error(USAGE);
		return 2;
	}
	try {
		if (o.codec) {
			o.files.forEach(checkCodec);
			console.log(`ort-ref: ${o.files.length} file(s) decode and ` +
				    'encode back exactly');
		} else if (o.check) {
			await check(o);
		} else {
			await generate(o);
		}
		return 0;
	} catch (e) {
		console.error(`ort-ref: ${e.message}`);
		return 1;
	}
}

main().then((rc) => { process.exitCode = rc; });
