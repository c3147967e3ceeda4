#!/usr/bin/python3
# gen-models.py OUTDIR - small ONNX models for test-npu-compile (built with
# Debian's python3-onnx): a QDQ CNN, a QOperator CNN, a float-boundary CNN
# (CPU fallback steps around an NPU convolution, with reference data), and
# malformed ones.
import sys, os
import numpy as np
import onnx
from onnx import helper as h, TensorProto as T, numpy_helper as nh

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(1)

def save(m, name):
    onnx.save(m, os.path.join(out, name))

def c(name, arr):
    return nh.from_array(np.asarray(arr), name)

# QDQ CNN: x(u8) -DQ-> Conv(DQ w, DQ b) -> Relu -> Q -> MaxPool(int)
#          -> DQ -> Gemm -> Q -> y(u8)
inits = [c('xs', np.float32(0.02)), c('xz', np.uint8(128)),
         c('w', rng.integers(-64, 64, (8, 3, 3, 3), dtype=np.int8)),
         c('ws', (rng.random(8) * 0.01 + 0.005).astype(np.float32)),
         c('wz', np.zeros(8, np.int8)),
         c('b', rng.integers(-500, 500, 8, dtype=np.int32)),
         c('bs', np.float32(0.0002)), c('bz', np.zeros(8, np.int32)),
         c('ys', np.float32(0.05)), c('yz', np.uint8(10)),
         c('shape', np.array([1, 8 * 4 * 4], np.int64)),
         c('fw', rng.integers(-64, 64, (10, 128), dtype=np.int8)),
         c('fws', np.float32(0.01)), c('fwz', np.int8(0)),
         c('os', np.float32(0.1)), c('oz', np.uint8(128))]
nodes = [h.make_node('DequantizeLinear', ['x', 'xs', 'xz'], ['xf']),
         h.make_node('DequantizeLinear', ['w', 'ws', 'wz'], ['wf'], axis=0),
         h.make_node('DequantizeLinear', ['b', 'bs', 'bz'], ['bf']),
         h.make_node('Conv', ['xf', 'wf', 'bf'], ['cf'], pads=[1, 1, 1, 1],
                     name='conv1'),
         h.make_node('Relu', ['cf'], ['rf']),
         h.make_node('QuantizeLinear', ['rf', 'ys', 'yz'], ['cq']),
         h.make_node('MaxPool', ['cq'], ['pq'], kernel_shape=[2, 2],
                     strides=[2, 2], name='pool1'),
         h.make_node('Reshape', ['pq', 'shape'], ['fq'], name='flatten'),
         h.make_node('DequantizeLinear', ['fq', 'ys', 'yz'], ['ff']),
         h.make_node('DequantizeLinear', ['fw', 'fws', 'fwz'], ['fwf']),
         h.make_node('Gemm', ['ff', 'fwf'], ['gf'], transB=1, name='fc'),
         h.make_node('QuantizeLinear', ['gf', 'os', 'oz'], ['y'])]
g = h.make_graph(nodes, 'qdq_cnn',
                 [h.make_tensor_value_info('x', T.UINT8, [1, 3, 8, 8])],
                 [h.make_tensor_value_info('y', T.UINT8, [1, 10])], inits)
m = h.make_model(g, opset_imports=[h.make_opsetid('', 13)])
m.ir_version = 7
save(m, 'qdq_cnn.onnx')

# QOperator CNN: QLinearConv -> QLinearConv (depthwise) -> QLinearAdd ->
# QLinearGlobalAveragePool -> Flatten -> QLinearMatMul
ms = [h.make_opsetid('', 13), h.make_opsetid('com.microsoft', 1)]
inits = [c('s', np.float32(0.05)), c('z', np.int8(0)),
         c('w1', rng.integers(-50, 50, (16, 3, 3, 3), dtype=np.int8)),
         c('w1s', np.float32(0.01)), c('w1z', np.int8(0)),
         c('b1', rng.integers(-100, 100, 16, dtype=np.int32)),
         c('w2', rng.integers(-50, 50, (16, 1, 3, 3), dtype=np.int8)),
         c('w2s', (rng.random(16) * 0.02 + 0.01).astype(np.float32)),
         c('w2z', np.zeros(16, np.int8)),
         c('w3', rng.integers(-50, 50, (16, 10), dtype=np.int8)),
         c('w3s', np.float32(0.02)), c('w3z', np.int8(0))]
nodes = [h.make_node('QLinearConv', ['x', 's', 'z', 'w1', 'w1s', 'w1z', 's',
                                     'z', 'b1'], ['c1'], pads=[1, 1, 1, 1]),
         h.make_node('QLinearConv', ['c1', 's', 'z', 'w2', 'w2s', 'w2z', 's',
                                     'z'], ['c2'], pads=[1, 1, 1, 1],
                     group=16),
         h.make_node('QLinearAdd', ['c1', 's', 'z', 'c2', 's', 'z', 's', 'z'],
                     ['a'], domain='com.microsoft'),
         h.make_node('QLinearGlobalAveragePool', ['a', 's', 'z', 's', 'z'],
                     ['p'], domain='com.microsoft'),
         h.make_node('Flatten', ['p'], ['f']),
         h.make_node('QLinearMatMul', ['f', 's', 'z', 'w3', 'w3s', 'w3z', 's',
                                       'z'], ['y'])]
g = h.make_graph(nodes, 'qop_cnn',
                 [h.make_tensor_value_info('x', T.INT8, [1, 3, 16, 16])],
                 [h.make_tensor_value_info('y', T.INT8, [1, 10])], inits)
m = h.make_model(g, opset_imports=ms)
m.ir_version = 7
save(m, 'qop_cnn.onnx')

# Float model boundaries (CPU fallback around NPU work): x(f32)
# -QuantizeLinear (CPU)-> QLinearConv (NPU) -DequantizeLinear (CPU)->
# Softmax (CPU) -> y(f32), with one test data set (numpy reference) in the
# layout of ONNX's node tests: conf/test_float_cnn/.
xs, ws_, ys = 0.05, 0.01, 0.0731  # M = xs * ws / ys: no exact ties
w = rng.integers(-60, 60, (4, 3, 3, 3), dtype=np.int8)
b = rng.integers(-300, 300, 4, dtype=np.int32)
inits = [c('xs', np.float32(xs)), c('xz', np.int8(0)), c('w', w),
         c('ws', np.float32(ws_)), c('wz', np.int8(0)), c('b', b),
         c('ys', np.float32(ys)), c('yz', np.int8(0))]
nodes = [h.make_node('QuantizeLinear', ['x', 'xs', 'xz'], ['xq'], name='q'),
         h.make_node('QLinearConv', ['xq', 'xs', 'xz', 'w', 'ws', 'wz', 'ys',
                                     'yz', 'b'], ['cq'], pads=[1, 1, 1, 1],
                     name='conv'),
         h.make_node('DequantizeLinear', ['cq', 'ys', 'yz'], ['cf'], name='dq'),
         h.make_node('Softmax', ['cf'], ['y'], axis=1, name='softmax')]
g = h.make_graph(nodes, 'float_cnn',
                 [h.make_tensor_value_info('x', T.FLOAT, [1, 3, 6, 6])],
                 [h.make_tensor_value_info('y', T.FLOAT, [1, 4, 6, 6])], inits)
m = h.make_model(g, opset_imports=[h.make_opsetid('', 13)])
m.ir_version = 7
save(m, 'float_cnn.onnx')
x = (rng.random((1, 3, 6, 6)) * 8 - 4).astype(np.float32)
xq = np.clip(np.rint(x / np.float32(xs)), -128, 127).astype(np.int64)
xp = np.pad(xq, ((0, 0), (0, 0), (1, 1), (1, 1)))
acc = np.zeros((4, 6, 6), np.int64)
for oc in range(4):
    for oy in range(6):
        for ox in range(6):
            acc[oc, oy, ox] = (xp[0, :, oy:oy + 3, ox:ox + 3] *
                               w[oc].astype(np.int64)).sum() + b[oc]
cq = np.clip(np.rint(acc * (xs * ws_ / ys)), -128, 127)
cf = (cq * np.float32(ys)).astype(np.float32)[None]
e = np.exp(cf.astype(np.float64) - cf.max(axis=1, keepdims=True))
yref = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
td = os.path.join(out, 'conf', 'test_float_cnn')
os.makedirs(os.path.join(td, 'test_data_set_0'), exist_ok=True)
save(m, os.path.join('conf', 'test_float_cnn', 'model.onnx'))
open(os.path.join(td, 'test_data_set_0', 'input_0.pb'), 'wb').write(
    nh.from_array(x, 'x').SerializeToString())
open(os.path.join(td, 'test_data_set_0', 'output_0.pb'), 'wb').write(
    nh.from_array(yref, 'y').SerializeToString())

# Mixed MLP (CPU steps between NPU commands): x(f32) -Q (CPU)->
# QLinearMatMul (NPU) -DQ (CPU)-> Sigmoid (CPU) -Q (CPU)-> QLinearMatMul
# (NPU) -DQ (CPU)-> y(f32). Run on the NPU and the CPU by
# tests/vm/test_rt_mixed.
inits = [c('xs', np.float32(0.03)), c('xz', np.int8(0)),
         c('w1', rng.integers(-60, 60, (16, 12), dtype=np.int8)),
         c('w1s', np.float32(0.01)), c('w1z', np.int8(0)),
         c('hs', np.float32(0.0613)), c('hz', np.int8(0)),
         c('ss', np.float32(1 / 256)), c('sz', np.int8(-128)),
         c('w2', rng.integers(-60, 60, (12, 8), dtype=np.int8)),
         c('w2s', np.float32(0.02)), c('w2z', np.int8(0)),
         c('ys', np.float32(0.0457)), c('yz', np.int8(0))]
nodes = [h.make_node('QuantizeLinear', ['x', 'xs', 'xz'], ['xq'], name='q1'),
         h.make_node('QLinearMatMul', ['xq', 'xs', 'xz', 'w1', 'w1s', 'w1z',
                                       'hs', 'hz'], ['hq'], name='fc1'),
         h.make_node('DequantizeLinear', ['hq', 'hs', 'hz'], ['hf'],
                     name='dq1'),
         h.make_node('Sigmoid', ['hf'], ['sf'], name='sigmoid'),
         h.make_node('QuantizeLinear', ['sf', 'ss', 'sz'], ['sq'], name='q2'),
         h.make_node('QLinearMatMul', ['sq', 'ss', 'sz', 'w2', 'w2s', 'w2z',
                                       'ys', 'yz'], ['yq'], name='fc2'),
         h.make_node('DequantizeLinear', ['yq', 'ys', 'yz'], ['y'],
                     name='dq2')]
g = h.make_graph(nodes, 'mixed_mlp',
                 [h.make_tensor_value_info('x', T.FLOAT, [4, 16])],
                 [h.make_tensor_value_info('y', T.FLOAT, [4, 8])], inits)
m = h.make_model(g, opset_imports=[h.make_opsetid('', 13)])
m.ir_version = 7
save(m, 'mixed_mlp.onnx')

# Hardswish as onnxruntime's QOperator form leaves it (mobilenet_v3):
# HardSigmoid between DequantizeLinear and QuantizeLinear, then
# QLinearMul(x, that). The compiler computes the Mul in the HardSigmoid's
# table when nothing else reads the HardSigmoid (y); the second HardSigmoid
# is also read by a graph output (h2), so y2 is a LUT then an ELTWISE.
# test-npu-compile requires y == y2 byte for byte over all 256 values of
# xq (the input: (k - 128) * xs for k in 0..255).
xs, hs, ys = 0.05, 1 / 255, 0.0297
inits = [c('xs', np.float32(xs)), c('xz', np.uint8(128)),
         c('hs', np.float32(hs)), c('hz', np.uint8(0)),
         c('ys', np.float32(ys)), c('yz', np.uint8(20))]
nodes = [h.make_node('QuantizeLinear', ['x', 'xs', 'xz'], ['xq'], name='q')]
for k in ('', '2'):
    nodes += [h.make_node('DequantizeLinear', ['xq', 'xs', 'xz'], ['xf' + k],
                          name='dq' + k),
              h.make_node('HardSigmoid', ['xf' + k], ['hf' + k],
                          alpha=1 / 6, beta=0.5, name='hsig' + k),
              h.make_node('QuantizeLinear', ['hf' + k, 'hs', 'hz'],
                          ['hq' + k], name='hq' + k),
              h.make_node('QLinearMul', ['xq', 'xs', 'xz', 'hq' + k, 'hs',
                                         'hz', 'ys', 'yz'], ['yq' + k],
                          domain='com.microsoft', name='mul' + k),
              h.make_node('DequantizeLinear', ['yq' + k, 'ys', 'yz'],
                          ['y' + k], name='ydq' + k)]
nodes.append(h.make_node('DequantizeLinear', ['hq2', 'hs', 'hz'], ['h2'],
                         name='hdq2'))
g = h.make_graph(nodes, 'hardswish',
                 [h.make_tensor_value_info('x', T.FLOAT, [1, 256])],
                 [h.make_tensor_value_info(n, T.FLOAT, [1, 256])
                  for n in ('y', 'y2', 'h2')], inits)
m = h.make_model(g, opset_imports=[h.make_opsetid('', 13),
                                   h.make_opsetid('com.microsoft', 1)])
m.ir_version = 7
td = os.path.join(out, 'hardswish')
os.makedirs(os.path.join(td, 'test_data_set_0'), exist_ok=True)
save(m, os.path.join('hardswish', 'model.onnx'))
x = ((np.arange(256) - 128) * np.float32(xs)).astype(np.float32)[None]
open(os.path.join(td, 'test_data_set_0', 'input_0.pb'), 'wb').write(
    nh.from_array(x, 'x').SerializeToString())

# Malformed models
raw = open(os.path.join(out, 'qop_cnn.onnx'), 'rb').read()
open(os.path.join(out, 'bad_truncated.onnx'), 'wb').write(raw[:len(raw) // 2])
open(os.path.join(out, 'bad_garbage.onnx'), 'wb').write(bytes(range(256)) * 4)
open(os.path.join(out, 'bad_empty.onnx'), 'wb').write(b'')
nodes = [h.make_node('Relu', ['b'], ['a']), h.make_node('Relu', ['a'], ['b'])]
g = h.make_graph(nodes, 'cycle', [h.make_tensor_value_info('x', T.INT8, [4])],
                 [h.make_tensor_value_info('a', T.INT8, [4])])
save(h.make_model(g, opset_imports=[h.make_opsetid('', 14)]), 'bad_cycle.onnx')
g = h.make_graph([h.make_node('Relu', ['x'], ['y'])], 'absurd',
                 [h.make_tensor_value_info('x', T.INT8, [1 << 40, 1 << 40])],
                 [h.make_tensor_value_info('y', T.INT8, [1 << 40, 1 << 40])])
save(h.make_model(g, opset_imports=[h.make_opsetid('', 14)]), 'bad_absurd.onnx')
g = h.make_graph([h.make_node('Relu', ['x'], ['y'])], 'neg',
                 [h.make_tensor_value_info('x', T.INT8, [-3, 4])],
                 [h.make_tensor_value_info('y', T.INT8, [-3, 4])])
save(h.make_model(g, opset_imports=[h.make_opsetid('', 14)]), 'bad_negdim.onnx')
# wrong types: an initializer whose raw_data does not match its type/shape
t = c('w', np.zeros(10, np.int8))
t.data_type = T.INT32
g = h.make_graph([h.make_node('Add', ['x', 'w'], ['y'])], 'wrongtype',
                 [h.make_tensor_value_info('x', T.INT8, [10])],
                 [h.make_tensor_value_info('y', T.INT8, [10])], [t])
save(h.make_model(g, opset_imports=[h.make_opsetid('', 14)]), 'bad_wrongtype.onnx')
g = h.make_graph([h.make_node('Relu', ['x'], ['y'])], 'old',
                 [h.make_tensor_value_info('x', T.INT8, [4])],
                 [h.make_tensor_value_info('y', T.INT8, [4])])
save(h.make_model(g, opset_imports=[h.make_opsetid('', 11)]), 'bad_opset11.onnx')
g = h.make_graph([h.make_node('Relu', ['x'], ['y'])], 'undef',
                 [h.make_tensor_value_info('x', T.INT8, [4])],
                 [h.make_tensor_value_info('y', T.INT8, [4])])
g.node[0].input[0] = 'nope'
save(h.make_model(g, opset_imports=[h.make_opsetid('', 14)]), 'bad_undefined.onnx')
# ConvInteger of binary32 weights and zero point (found by fuzz_onnx: the
# zero point's values were read as integers)
g = h.make_graph([h.make_node('ConvInteger', ['x', 'w', 'xz', 'wz'], ['y'])],
                 'convint_float',
                 [h.make_tensor_value_info('x', T.UINT8, [1, 1, 4, 4])],
                 [h.make_tensor_value_info('y', T.INT32, [1, 1, 2, 2])],
                 [c('w', np.full((1, 1, 3, 3), -3e32, np.float32)),
                  c('xz', np.array(0, np.uint8)),
                  c('wz', np.array([-3e32], np.float32))])
save(h.make_model(g, opset_imports=[h.make_opsetid('', 14)]),
     'bad_convinteger_float.onnx')
# A unary operator given a second input, both constants (found by
# fuzz_onnx: folding read the second, an int64 pair, over the output's 8
# elements), and a Clip whose constant minimum does not broadcast to its
# input (the same read past the end, through a parameter input)
g = h.make_graph([h.make_node('Sigmoid', ['k', 'shape'], ['s']),
                  h.make_node('Add', ['x', 's'], ['y'])], 'unary_two',
                 [h.make_tensor_value_info('x', T.FLOAT, [8])],
                 [h.make_tensor_value_info('y', T.FLOAT, [8])],
                 [c('k', np.arange(8, dtype=np.float32)),
                  c('shape', np.array([2, 4], np.int64))])
save(h.make_model(g, opset_imports=[h.make_opsetid('', 14)]),
     'bad_unary_two_inputs.onnx')
g = h.make_graph([h.make_node('Clip', ['k', 'lo'], ['s']),
                  h.make_node('Add', ['x', 's'], ['y'])], 'clip_bcast',
                 [h.make_tensor_value_info('x', T.FLOAT, [8])],
                 [h.make_tensor_value_info('y', T.FLOAT, [8])],
                 [c('k', np.arange(8, dtype=np.float32)),
                  c('lo', np.array([1, 2], np.float32))])
save(h.make_model(g, opset_imports=[h.make_opsetid('', 14)]),
     'bad_clip_min_shape.onnx')
