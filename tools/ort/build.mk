# tools/ort/build.mk - `make ort-ref-test`: tests of tools/ort/ort-ref.js,
# the onnxruntime oracle of the model tests (installs onnxruntime-node
# into $(BUILD)/ort through tools/install-ort; needs node and npm).

.PHONY: ort-ref-test
ort-ref-test:
	BUILD=$(BUILD) tools/ort/test-ort-ref
