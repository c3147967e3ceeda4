# SPDX-License-Identifier: MIT
"""devices(), version() and the profiler context manager."""
import json
import os

import npurt
from conftest import DEVICE, ON_NPU, model_path, random_inputs


def test_devices():
    devs = npurt.devices()
    if not ON_NPU:
        assert devs == [] or all(d.arch for d in devs)
        return
    d = devs[0]
    assert (d.index, d.arch, d.fw_state) == (0, "warboy", "ready")
    assert d.num_pes >= 2 and d.mem_total > 0
    names = [n.name for n in d.nodes]
    assert names[:2] == ["npu0pe0", "npu0pe1"] and "npu0pe0-1" in names
    assert d.nodes[0].devnode == "/dev/npu0pe0"


def test_version():
    v = npurt.version()
    assert v.startswith(f"libnpurt {npurt.runtime_version} (uapi ")
    assert npurt.runtime_version == npurt.__version__ == "1.4.0"
    if ON_NPU:
        assert "firmware" in v


def run_events(path):
    with open(path) as f:
        return [e for e in json.load(f)["traceEvents"]
                if e.get("cat") == "run"]


def test_profile(tmp_path):
    path = str(tmp_path / "trace.json")
    with npurt.create_runner(model_path("qop_cnn"), device=DEVICE) as r:
        x, = random_inputs(r.inputs)
        r.run([x])                       # before: not traced
        with npurt.profile(path, r) as p:
            for _ in range(3):
                r.run([x])
        r.run([x])                       # after: not traced
        assert p.paths == [path]
        assert len(run_events(path)) == 3
        # Without sessions: every open one and those created inside, the
        # newest last.
        with npurt.profile(str(tmp_path / "all.json")) as p:
            with npurt.create_runner(model_path("qop_cnn"),
                                     device="cpu(1)") as r2:
                r2.run([x])
                r2.run([x])
    assert len(p.paths) >= 2
    assert p.paths[0] == str(tmp_path / "all.json")
    assert p.paths[-1] == str(tmp_path / f"all.{len(p.paths) - 1}.json")
    assert len(run_events(p.paths[-1])) == 2
    assert all(os.path.getsize(f) for f in p.paths)


def test_stub_covers_the_api():
    """__init__.pyi declares every public name, and every public method of
    the classes, with the same parameters."""
    import ast
    import inspect
    stub = os.path.join(os.path.dirname(npurt.__file__), "__init__.pyi")
    tree = ast.parse(open(stub).read())
    top = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                             ast.ClassDef)):
            top[node.name] = node
        elif isinstance(node, ast.AnnAssign):
            top[node.target.id] = node
    missing = [n for n in npurt.__all__ if n not in top]
    assert not missing, missing

    def params(fn):
        a = fn.args
        return [p.arg for p in a.args + ([a.vararg] if a.vararg else []) +
                a.kwonlyargs]

    for name in npurt.__all__:
        obj = getattr(npurt, name)
        node = top[name]
        if inspect.isfunction(obj):
            want = list(inspect.signature(obj).parameters)
            assert params(node) == want, name
        if not inspect.isclass(obj) or issubclass(obj, BaseException):
            continue
        methods = {}
        for c in [node] + [top[b.id] for b in node.bases
                           if isinstance(b, ast.Name) and b.id in top]:
            for m in c.body:
                if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    methods.setdefault(m.name, m)
        for mname, member in inspect.getmembers(obj, inspect.isfunction):
            if mname.startswith("_") and (mname != "__init__" or
                                          mname not in methods):
                continue    # constructors the user does not call
            assert mname in methods, f"{name}.{mname}"
            want = list(inspect.signature(member).parameters)
            assert params(methods[mname]) == want, f"{name}.{mname}"
