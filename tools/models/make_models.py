"""Public model set: real architectures (random weights, fixed seeds)
exported by PyTorch and quantized by onnxruntime's quantize_static, in the
forms its users get, with onnxruntime's own output for one input.

Needs torch, torchvision, onnx and onnxruntime (the accelerator machine
has them). Usage:
    python3 make_models.py OUTDIR [NAME[.FORM]...]
Writes OUTDIR/NAME.FORM.tar.gz, each holding NAME.FORM/model.onnx and
NAME.FORM/test_data_set_0/{input_0,output_0}.pb (ONNX's test layout),
and OUTDIR/INDEX.json (operators, output shape, onnxruntime's time for
one inference on one thread of that machine).
FORM: qdq (QDQ, int8 activations), qop (QOperator, uint8 activations),
qdq_pc / qop_pc (per-channel weights, the other activation type)."""
import io, json, os, sys, tarfile, time
import numpy as np
import onnx
import torch, torchvision
import onnxruntime as ort
from onnxruntime.quantization import (quantize_static, CalibrationDataReader,
                                      QuantFormat, QuantType)
from onnxruntime.quantization.shape_inference import quant_pre_process

SEED = 2026


class Reader(CalibrationDataReader):
    def __init__(self, name, shape, n=8):
        rng = np.random.default_rng(SEED + 1)
        self.it = iter([{name: rng.standard_normal(shape).astype(np.float32)}
                        for _ in range(n)])

    def get_next(self):
        return next(self.it, None)


class Encoder(torch.nn.Module):
    """A small BERT-like encoder: MatMul, Softmax, LayerNorm, Gelu."""
    def __init__(self):
        super().__init__()
        layer = torch.nn.TransformerEncoderLayer(128, 4, 256, dropout=0.0,
                                                 activation="gelu", batch_first=True)
        self.enc = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = torch.nn.Linear(128, 8)

    def forward(self, x):
        return self.head(self.enc(x)[:, 0])


class OpsZoo(torch.nn.Module):
    """A small CNN built to exercise what quantizers emit around data
    movement and activations: Pad, Split, Slice, Resize (nearest and
    bilinear), Concat, LeakyReLU, Sigmoid, SiLU, HardSwish, Softmax over
    channels, Transpose, AvgPool (ceil mode, padding), MaxPool ceil mode."""
    def __init__(self):
        super().__init__()
        c = torch.nn.Conv2d
        self.c1 = c(3, 16, 3, 2, 1)
        self.c2 = c(16, 32, 3, 1, 1)
        self.c3 = c(16, 16, 1)
        self.c4 = c(48, 24, 3, 1, 1, groups=1)
        self.dw = c(24, 24, 3, 1, 1, groups=24)
        self.c5 = c(24, 32, 1)
        self.head = torch.nn.Linear(32 * 4, 10)

    def forward(self, x):
        F = torch.nn.functional
        x = F.leaky_relu(self.c1(x), 0.1)                    # 56x56
        x = F.pad(x, (1, 0, 1, 0))                           # 57x57
        x = F.max_pool2d(x, 3, 2, ceil_mode=True)            # 28x28
        a, b = torch.split(self.c2(x), 16, dim=1)
        a = torch.sigmoid(a) * b                             # gating
        b = F.hardswish(self.c3(b[:, :, 2:-2, 2:-2]))        # slice 24x24
        b = F.interpolate(b, size=(28, 28), mode="nearest")
        y = torch.cat([a, b, F.silu(x)], 1)                  # 48 ch
        y = self.dw(F.relu6(self.c4(y)))
        y = F.avg_pool2d(y, 3, 2, 1, ceil_mode=True, count_include_pad=False)
        y = F.interpolate(y, scale_factor=0.5, mode="bilinear", align_corners=False)
        y = torch.softmax(self.c5(y), dim=1)                 # 7x7
        y = F.avg_pool2d(y, 4, 3).permute(0, 2, 3, 1)       # 2x2, NHWC
        return self.head(y.reshape(1, -1))


tv = torchvision.models
MODELS = {
    "resnet18": (lambda: tv.resnet18(weights=None), (1, 3, 224, 224), ["qdq_pc", "qop"]),
    "mobilenet_v2": (lambda: tv.mobilenet_v2(weights=None), (1, 3, 224, 224),
                     ["qdq", "qop", "qdq_pc", "qop_pc"]),
    "mobilenet_v3_small": (lambda: tv.mobilenet_v3_small(weights=None), (1, 3, 224, 224), ["qdq", "qop"]),
    "squeezenet1_1": (lambda: tv.squeezenet1_1(weights=None), (1, 3, 224, 224), ["qdq", "qop"]),
    "encoder": (lambda: Encoder(), (1, 32, 128), ["qdq", "qop"]),
    # Beyond ../shared/models: more architectures, to check the compiler
    # on operators rather than on one set of files.
    "efficientnet_b0": (lambda: tv.efficientnet_b0(weights=None), (1, 3, 224, 224), ["qdq", "qop"]),
    "shufflenet_v2_x0_5": (lambda: tv.shufflenet_v2_x0_5(weights=None), (1, 3, 224, 224), ["qdq", "qop"]),
    "mnasnet0_5": (lambda: tv.mnasnet0_5(weights=None), (1, 3, 224, 224), ["qdq_pc", "qop"]),
    "googlenet": (lambda: tv.googlenet(weights=None, aux_logits=False, init_weights=True), (1, 3, 224, 224), ["qdq"]),
    "regnet_x_400mf": (lambda: tv.regnet_x_400mf(weights=None), (1, 3, 224, 224), ["qdq"]),
    "ops_zoo": (lambda: OpsZoo(), (1, 3, 112, 112), ["qdq", "qop", "qdq_pc", "qop_pc"]),
}
FORMS = {"qdq": (QuantFormat.QDQ, QuantType.QInt8, False),
         "qop": (QuantFormat.QOperator, QuantType.QUInt8, False),
         "qdq_pc": (QuantFormat.QDQ, QuantType.QUInt8, True),
         "qop_pc": (QuantFormat.QOperator, QuantType.QInt8, True)}


def main():
    out = sys.argv[1]
    want = sys.argv[2:]
    os.makedirs(out, exist_ok=True)
    ort.set_default_logger_severity(3)
    index_path = os.path.join(out, "INDEX.json")
    index = json.load(open(index_path)) if os.path.exists(index_path) else {}
    index["_generator"] = {"torch": torch.__version__, "onnxruntime": ort.__version__,
                           "onnx": onnx.__version__, "seed": SEED}
    for name, (make, shape, forms) in MODELS.items():
        sel = [f for f in forms if not want or name in want or f"{name}.{f}" in want]
        if not sel:
            continue
        try:
            make_one(out, index, name, make, shape, sel)
        except Exception as e:  # one broken export must not lose the rest
            print(f"{name}: FAILED: {type(e).__name__}: {e}", flush=True)
    with open(index_path, "w") as f:
        json.dump(index, f, indent=1, sort_keys=True)


def make_one(out, index, name, make, shape, sel):
    torch.manual_seed(SEED)
    m = make().eval()
    fp = f"/tmp/{name}.onnx"
    torch.onnx.export(m, torch.randn(*shape), fp, input_names=["input"],
                      output_names=["output"], opset_version=17, dynamo=False)
    pre = fp + ".pre.onnx"
    try:
        quant_pre_process(fp, pre)
    except Exception:
        quant_pre_process(fp, pre, skip_symbolic_shape=True)
    for form in sel:
        qf, act, pc = FORMS[form]
        q = f"/tmp/{name}.{form}.onnx"
        quantize_static(pre, q, Reader("input", shape), quant_format=qf,
                        activation_type=act, weight_type=QuantType.QInt8,
                        per_channel=pc)
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        sess = ort.InferenceSession(q, so, providers=["CPUExecutionProvider"])
        x = np.random.default_rng(SEED + 2).standard_normal(shape).astype(np.float32)
        y = sess.run(None, {"input": x})[0]
        for _ in range(3):
            sess.run(None, {"input": x})
        t0 = time.perf_counter()
        for _ in range(10):
            sess.run(None, {"input": x})
        ms = (time.perf_counter() - t0) * 100
        tag = f"{name}.{form}"
        with tarfile.open(os.path.join(out, f"{tag}.tar.gz"), "w:gz") as t:
            t.add(q, arcname=f"{tag}/model.onnx")
            for nm, arr in (("input_0.pb", x), ("output_0.pb", y)):
                b = onnx.numpy_helper.from_array(arr).SerializeToString()
                ti = tarfile.TarInfo(f"{tag}/test_data_set_0/{nm}")
                ti.size = len(b)
                t.addfile(ti, io.BytesIO(b))
        ops = sorted({(n.domain or "ai.onnx") + ":" + n.op_type
                      for n in onnx.load(q).graph.node})
        index[tag] = {"operators": ops, "input_shape": list(shape),
                      "output_shape": list(y.shape), "bytes": os.path.getsize(q),
                      "onnxruntime_ms_1_thread_generator_machine": round(ms, 3)}
        print(tag, len(ops), "operators", f"{ms:.2f} ms", os.path.getsize(q), flush=True)


if __name__ == "__main__":
    main()
