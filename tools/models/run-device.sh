#!/bin/bash
# Regenerate the extra models on the accelerator machine (torch, torchvision,
# onnxruntime there) and bundle them into few archives for the trip back.
set -e
export PYTHONUNBUFFERED=1
W=/tmp/models
python3 tools/models/make_models.py $W "$@"
cd $W
tar czf $OUT/resnet18.qdq_pc.tgz resnet18.qdq_pc.tar.gz
tar czf $OUT/resnet18.qop.tgz resnet18.qop.tar.gz
tar czf $OUT/effnet.tgz efficientnet_b0.*.tar.gz
tar czf $OUT/misc1.tgz googlenet.*.tar.gz shufflenet_v2_x0_5.*.tar.gz ops_zoo.*.tar.gz
tar czf $OUT/misc2.tgz mnasnet0_5.*.tar.gz regnet_x_400mf.*.tar.gz
cp INDEX.json $OUT/
ls -la $OUT
