// SPDX-License-Identifier: MIT
// tensor_proto.js - ONNX TensorProto (onnx.proto) in the protobuf wire
// format, for the fields test data uses: 1 dims, 2 data_type, 8 name,
// 9 raw_data, and on reading also the typed fields 4 float_data,
// 5 int32_data, 7 int64_data, 10 double_data, 11 uint64_data.
//
// encode() writes what onnx.numpy_helper.from_array() writes: each dim as
// its own varint (proto2, unpacked), data_type, name when there is one,
// raw_data (little-endian elements), so that decode -> encode gives the
// bytes of such files back.
'use strict';

// ONNX data_type, onnxruntime type name, element size in bytes
const TYPES = [
	[1, 'float32', 4], [2, 'uint8', 1], [3, 'int8', 1], [4, 'uint16', 2],
	[5, 'int16', 2], [6, 'int32', 4], [7, 'int64', 8], [9, 'bool', 1],
	[10, 'float16', 2], [11, 'float64', 8], [12, 'uint32', 4],
	[13, 'uint64', 8],
];
const BY_DT = new Map(TYPES.map((t) => [t[0], { ort: t[1], size: t[2] }]));
const BY_ORT = new Map(TYPES.map((t) => [t[1], { dt: t[0], size: t[2] }]));

class Reader {
	constructor(buf, start, end) {
		this.buf = buf;
		this.pos = start;
		this.end = end;
	}

	// A varint as a BigInt (int64 fields may use all ten bytes).
	varint() {
		let v = 0n;
		for (let shift = 0n; shift < 70n; shift += 7n) {
			if (this.pos >= this.end)
				throw new Error('truncated varint');
			const c = this.buf[this.pos++];
			v |= BigInt(c & 0x7f) << shift;
			if (!(c & 0x80))
				return BigInt.asUintN(64, v);
		}
		throw new Error('varint longer than 10 bytes');
	}

	bytes(n) {
		if (n > this.end - this.pos)
			throw new Error('field runs past the end');
		const b = this.buf.subarray(this.pos, this.pos + n);
		this.pos += n;
		return b;
	}
}

// Little-endian bytes of the values of a typed repeated field.
function typedBytes(field, values, elemSize) {
	const out = Buffer.alloc(values.length * elemSize);
	values.forEach((v, i) => {
		const off = i * elemSize;
		if (field === 4)
			out.writeFloatLE(v, off);
		else if (field === 10)
			out.writeDoubleLE(v, off);
		else if (elemSize === 8)
			out.writeBigUInt64LE(BigInt.asUintN(64, v), off);
		else	// int32_data carries every type of 4 bytes or less
			out.writeUIntLE(Number(BigInt.asUintN(elemSize * 8, v)), off,
					elemSize);
	});
	return out;
}

// Buffer -> { dims: [Number], dataType, name, raw: Buffer }.
function decode(buf) {
	const r = new Reader(buf, 0, buf.length);
	const t = { dims: [], dataType: 0, name: '', raw: null };
	let typedField = 0;
	const typed = [];

	while (r.pos < r.end) {
		const key = Number(r.varint());
		const field = key >>> 3, wire = key & 7;
		const isTyped = [4, 5, 7, 10, 11].includes(field);
		if (isTyped) {
			if (typedField && typedField !== field)
				throw new Error('two typed data fields');
			typedField = field;
		}
		const fixed = field === 4 ? 4 : field === 10 ? 8 : 0;
		const one = (rd) => {
			if (fixed === 4)
				typed.push(rd.bytes(4).readFloatLE(0));
			else if (fixed === 8)
				typed.push(rd.bytes(8).readDoubleLE(0));
			else
				typed.push(rd.varint());
		};
		if (wire === 2) {
			const len = Number(r.varint());
			const body = r.bytes(len);
			if (field === 9) {
				t.raw = Buffer.from(body);
			} else if (field === 8) {
				t.name = body.toString('utf8');
			} else if (field === 1 || isTyped) {	// packed
				const sub = new Reader(body, 0, body.length);
				while (sub.pos < sub.end) {
					if (field === 1)
						t.dims.push(Number(BigInt.asIntN(64, sub.varint())));
					else
						one(sub);
				}
			}
		} else if (isTyped && wire === (fixed === 4 ? 5 : fixed === 8 ? 1 : 0)) {
			one(r);
		} else if (wire === 0) {
			const v = r.varint();
			if (field === 1)
				t.dims.push(Number(BigInt.asIntN(64, v)));
			else if (field === 2)
				t.dataType = Number(v);
		} else if (wire === 5 || wire === 1) {
			r.bytes(wire === 5 ? 4 : 8);
		} else {
			throw new Error(`unsupported wire type ${wire} (field ${field})`);
		}
	}
	const type = BY_DT.get(t.dataType);
	if (!type)
		throw new Error(`unsupported data_type ${t.dataType}`);
	if (t.dims.some((d) => !Number.isSafeInteger(d) || d < 0))
		throw new Error(`bad dims [${t.dims}]`);
	const count = t.dims.reduce((a, b) => a * b, 1);
	if (t.raw && typed.length)
		throw new Error('raw_data and a typed data field');
	if (!t.raw)
		t.raw = typedBytes(typedField, typed, type.size);
	if (t.raw.length !== count * type.size)
		throw new Error(`${t.raw.length} data bytes for dims [${t.dims}] ` +
				`of ${type.ort}`);
	return t;
}

function varint(v) {
	const out = [];
	let x = BigInt.asUintN(64, BigInt(v));
	do {
		let c = Number(x & 0x7fn);
		x >>= 7n;
		if (x)
			c |= 0x80;
		out.push(c);
	} while (x);
	return Buffer.from(out);
}

function field(num, wire) {
	return varint((num << 3) | wire);
}

// { dims, dataType, name?, raw } -> Buffer.
function encode(t) {
	const parts = [];
	for (const d of t.dims)
		parts.push(field(1, 0), varint(d));
	parts.push(field(2, 0), varint(t.dataType));
	if (t.name) {
		const n = Buffer.from(t.name, 'utf8');
		parts.push(field(8, 2), varint(n.length), n);
	}
	parts.push(field(9, 2), varint(t.raw.length), t.raw);
	return Buffer.concat(parts);
}

// onnxruntime type name -> ONNX data_type (throws for unknown types).
function dataTypeOf(ortType) {
	const t = BY_ORT.get(ortType);
	if (!t)
		throw new Error(`no TensorProto data_type for ${ortType}`);
	return t.dt;
}

// ONNX data_type -> onnxruntime type name.
function ortTypeOf(dataType) {
	const t = BY_DT.get(dataType);
	if (!t)
		throw new Error(`unsupported data_type ${dataType}`);
	return t.ort;
}

module.exports = { decode, encode, dataTypeOf, ortTypeOf };
