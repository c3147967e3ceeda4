# SPDX-License-Identifier: MIT
"""setuptools build of the npurt package, for `pip install ./python`.

The extension compiles against libnpurt found, in this order, through
NPURT_INCLUDE_DIR / NPURT_LIB_DIR, the build tree next to this folder
(../build, or $BUILD), or pkg-config's npurt (after `make install`). The
library's directory becomes the extension's rpath, so nothing else is
needed at run time. Offline on Debian 12: python3-dev, python3-numpy,
python3-setuptools and python3-pip (which brings python3-wheel); inside a
venv made with --system-site-packages, or system-wide with `make install`
(Debian's pip refuses to install into the system interpreter, PEP 668).
"""
import os
import shlex
import subprocess

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def npurt_paths():
    """(include dirs, library dir) of libnpurt."""
    inc, lib = os.environ.get("NPURT_INCLUDE_DIR"), os.environ.get(
        "NPURT_LIB_DIR")
    if inc and lib:
        return inc.split(os.pathsep), lib
    build = os.environ.get("BUILD", "build")
    build = build if os.path.isabs(build) else os.path.join(ROOT, build)
    if os.path.exists(os.path.join(build, "lib", "libnpurt.so")):
        return ([os.path.join(ROOT, "runtime", "include"),
                 os.path.join(ROOT, "uapi")], os.path.join(build, "lib"))
    try:
        cflags = subprocess.run(["pkg-config", "--cflags-only-I", "npurt"],
                                check=True, capture_output=True,
                                text=True).stdout
        libdir = subprocess.run(["pkg-config", "--variable=libdir", "npurt"],
                                check=True, capture_output=True,
                                text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        raise SystemExit("npurt: libnpurt not found: build it (make) or "
                         "install it (make install), or set "
                         "NPURT_INCLUDE_DIR and NPURT_LIB_DIR") from None
    return [f[2:] for f in shlex.split(cflags)], libdir


INCLUDES, LIBDIR = npurt_paths()

setup(
    name="npurt",
    version="1.4.0",
    description="Python access to libnpurt, the rm_npu NPU runtime",
    license="MIT",
    python_requires=">=3.9",
    install_requires=["numpy"],
    packages=["npurt"],
    package_data={"npurt": ["*.pyi", "py.typed"]},
    ext_modules=[Extension(
        "npurt._npurt",
        sources=sorted(os.path.join("src", f)
                       for f in os.listdir(os.path.join(HERE, "src"))
                       if f.endswith(".c")),
        depends=[os.path.join("src", "py_npurt.h")],
        include_dirs=INCLUDES,
        library_dirs=[LIBDIR],
        runtime_library_dirs=[LIBDIR],
        libraries=["npurt"],
        extra_compile_args=["-std=c11", "-fvisibility=hidden"],
    )],
)
