# python/build.mk - the npurt Python package (python/README.md): the C
# extension npurt._npurt over libnpurt, built for Debian's interpreter
# ($(PYTHON), not whatever python3 is first on PATH), the package tree, its
# tests and its install rules.
#
# $(BUILD)/python/npurt/          importable with PYTHONPATH=$(BUILD)/python
#                                 (the extension's rpath is $(BUILD)/lib)
# $(BUILD)/python/models/         the test models (gen-models.py)
# $(BUILD)/tests/vm/python/       the package, tests and models for the VM
# $(BUILD)/vm-root/               Debian's python3 with a trimmed stdlib,
#                                 numpy and pytest, which tools/npu-vm adds
#                                 to the guest's root (python/stage-vm)
#
#   make python-test     pytest on the host's CPU device, then
#                        `pip install ./python` offline into a venv
#
# make install-python / uninstall-python (part of make install/uninstall):
# $(PYTHON_SITEDIR)/npurt/, by default where Debian's python3 looks:
# /usr/local/lib/python3.X/dist-packages for PREFIX=/usr/local,
# /usr/lib/python3/dist-packages for PREFIX=/usr. The extension finds
# libnpurt.so.1 in $(LIBDIR) through a relative rpath ($ORIGIN/...).

PYTHON   ?= /usr/bin/python3
PY_INC   := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])' 2>/dev/null)
PY_EXT   := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))' 2>/dev/null)
PY_VER   := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
PY_HAVE_NUMPY := $(shell $(PYTHON) -c 'import numpy' 2>/dev/null && echo yes)

PY_DIR     := $(BUILD)/python
PY_SRCS    := $(sort $(wildcard python/src/*.c))
PY_OBJS    := $(PY_SRCS:python/src/%.c=$(PY_DIR)/obj/%.o)
PY_FILES   := $(sort $(wildcard python/npurt/*.py python/npurt/*.pyi)) \
	python/npurt/py.typed
PY_PKG     := $(PY_DIR)/npurt
PY_SO      := $(PY_PKG)/_npurt$(PY_EXT)
PY_PKG_FILES := $(PY_FILES:python/npurt/%=$(PY_PKG)/%)
PY_MODELS  := $(PY_DIR)/models/.stamp
PY_VM_DIR  := $(BUILD)/tests/vm/python
PY_CFLAGS  := -I$(PY_INC) -Iruntime/include -fvisibility=hidden

PYTHON_SITEDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/python3/dist-packages,$(PREFIX)/lib/python$(PY_VER)/dist-packages)

.PHONY: python python-test install-python uninstall-python

ifneq ($(and $(wildcard $(PY_INC)/Python.h),$(PY_EXT),$(PY_HAVE_NUMPY)),)

python: $(PY_SO) $(PY_PKG_FILES)
LIB_TARGETS += $(PY_SO) $(PY_PKG_FILES)
VM_TEST_TARGETS += $(PY_VM_DIR)/.stamp $(BUILD)/vm-root.stamp

$(PY_DIR)/obj/%.o: python/src/%.c python/src/py_npurt.h runtime/include/npurt.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(PY_CFLAGS) $(CFLAGS) -c -o $@ $<

# Python extensions leave libpython's symbols to the interpreter: no
# --no-undefined here.
$(PY_SO): $(PY_OBJS) | $(BUILD)/lib/libnpurt.so
	@mkdir -p $(@D)
	$(CC) -shared -o $@ $(PY_OBJS) $(LDFLAGS) -L$(BUILD)/lib -lnpurt \
		-Wl,-rpath,$(abspath $(BUILD)/lib)

$(PY_PKG)/%: python/npurt/%
	@mkdir -p $(@D)
	install -m 644 $< $@

# gen-models.py's models; float_cnn's reference data also as .npy, for
# the guest, which has numpy but not onnx.
$(PY_MODELS): tools/npu-compile/gen-models.py
	rm -rf $(@D)
	$(PYTHON) $< $(@D) > /dev/null
	cd $(@D)/conf/test_float_cnn/test_data_set_0 && $(PYTHON) -c \
		'import onnx.numpy_helper as h, numpy as np, onnx; \
		[np.save(n + ".npy", h.to_array(onnx.load_tensor(n + ".pb"))) \
		 for n in ("input_0", "output_0")]'
	touch $@

# The package, its tests and the models, for tests/vm/test_python.sh.
$(PY_VM_DIR)/.stamp: $(PY_SO) $(PY_PKG_FILES) $(PY_MODELS) \
		$(wildcard python/tests/*.py)
	rm -rf $(@D)
	mkdir -p $(@D)/tests $(@D)/models
	cp -r $(PY_PKG) $(@D)/
	rm -f $(@D)/npurt/_npurt$(PY_EXT)
	$(CC) -shared -o $(@D)/npurt/_npurt$(PY_EXT) $(PY_OBJS) $(LDFLAGS) \
		-L$(BUILD)/lib -lnpurt
	cp python/tests/*.py $(@D)/tests/
	cp $(PY_DIR)/models/*.onnx $(@D)/models/
	cp -r $(PY_DIR)/models/conf $(@D)/models/
	touch $@

# Debian's interpreter for the guest (python/stage-vm says what it keeps).
$(BUILD)/vm-root.stamp: python/stage-vm
	PYTHON=$(PYTHON) python/stage-vm $(BUILD)/vm-root
	touch $@

python-test: $(PY_SO) $(PY_PKG_FILES) $(PY_MODELS) $(NPUC_PLUGIN)
	cd python && NPURT_TEST_MODELS=$(abspath $(PY_DIR)/models) \
		NPURT_TEST_DEVICE=cpu PYTHONPATH=$(abspath $(PY_DIR)) \
		PYTHONDONTWRITEBYTECODE=1 nice $(PYTHON) -P -m pytest -q \
		-p no:cacheprovider tests
	BUILD=$(BUILD) PYTHON=$(PYTHON) nice python/test-pip-install

install-python: $(PY_OBJS) $(PY_PKG_FILES)
	install -d $(DESTDIR)$(PYTHON_SITEDIR)/npurt
	install -m 644 $(PY_FILES) $(DESTDIR)$(PYTHON_SITEDIR)/npurt/
	@mkdir -p $(PY_DIR)/install
	$(CC) -shared -o $(PY_DIR)/install/_npurt$(PY_EXT) $(PY_OBJS) \
		$(LDFLAGS) -L$(BUILD)/lib -lnpurt -Wl,-rpath,'$$ORIGIN/$(shell \
		realpath -m --relative-to=$(PYTHON_SITEDIR)/npurt $(LIBDIR))'
	install -m 755 $(PY_DIR)/install/_npurt$(PY_EXT) \
		$(DESTDIR)$(PYTHON_SITEDIR)/npurt/

else

python python-test:
	@echo "python: Debian's $(PYTHON) with python3-dev and python3-numpy" \
		"is needed; run tools/install-deps" >&2; exit 1
install-python:
	@echo "install-python: skipped ($(PYTHON), python3-dev or" \
		"python3-numpy missing)" >&2

endif

uninstall-python:
	rm -rf $(DESTDIR)$(PYTHON_SITEDIR)/npurt
