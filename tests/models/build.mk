# tests/models/build.mk - `make model-test`: the real quantized models of
# tests/models (issue 10) on `cpu` (host) and `warboy(1)*1`/`warboy(2)*1`
# (VM) against onnxruntime's outputs; tests/models/run-model-test says how.

.PHONY: model-test model-test-host
model-test: all
	BUILD=$(BUILD) tests/models/run-model-test

model-test-host: all
	BUILD=$(BUILD) tests/models/run-model-test --no-vm
