#!/bin/bash
# opsets.sh — old operator forms read at import (frontend/onnx_opset.c), end
# to end: opsets.py builds small models in the old forms (Clip, Pad, Slice,
# Squeeze/Unsqueeze, Reshape, Concat, Cast attributes of old opsets; Pad's
# axes of opset 18; broadcast before opset 7; BatchNormalization, Dropout
# and Softmax of old opsets) and checks `quantc run` against numpy, and the
# refusals (opsets outside 1..21, training forms, Softmax flattening over
# several axes) by their reason.  About 2 s of CPU.
#   env: QUANTC (required)
: "${QUANTC:?set QUANTC to the quantc binary}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$(dirname "$0")/opsets.py" "$QUANTC" "$work"
