"""torch_time.py — bench/run.sh's PyTorch timing: the single-thread, batch-1
latency of one example model in float32 or int8.

usage: /usr/bin/python3 bench/torch_time.py MODEL fp32|onednn|qnnpack INPUT.f32 CALIB.npy [SECONDS]

MODEL is cnn, mlp or dscnn: train.py's class with the committed float32
weights, loaded by examples/fashion_mnist/export_onnx.py (the same network
quantc and onnxruntime run).  fp32 runs it as it is; onednn and qnnpack
quantize it with that quantized engine: FX graph mode post-training static
quantization (the engine's default qconfig mapping; prepare_fx fuses
conv + batch norm + relu), calibrated on every sample of CALIB.npy in
batches of 100, then convert_fx.  torch.set_num_threads(1), inference mode.
Warm-up for a quarter of SECONDS (default 1; at least 20 runs), then timed
runs, each between two time.perf_counter_ns() calls, for about SECONDS (at
least 50, at most 200000).  Prints, like time_model.c:
  median_us M min_us m runs N class C
"""
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples", "fashion_mnist"))
import export_onnx  # noqa: E402


def quantize(model, engine, calib):
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    torch.backends.quantized.engine = engine
    example = (torch.from_numpy(calib[:1]),)
    prepared = prepare_fx(model, get_default_qconfig_mapping(engine), example)
    with torch.inference_mode():
        for i in range(0, len(calib), 100):
            prepared(torch.from_numpy(calib[i:i + 100]))
    return convert_fx(prepared)


def main():
    if len(sys.argv) < 5 or sys.argv[2] not in ("fp32", "onednn", "qnnpack"):
        sys.exit(__doc__.split("\n\n")[1])
    name, engine, input_path, calib_path = sys.argv[1:5]
    budget = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0
    if name not in export_onnx.MODELS:
        sys.exit(f"torch_time.py: export_onnx.py knows no model {name}")
    torch.set_num_threads(1)
    model = export_onnx.load(name)
    if engine != "fp32":
        model = quantize(model, engine, np.load(calib_path).astype(np.float32))
    x = torch.from_numpy(np.fromfile(input_path, dtype="<f4").reshape(1, 1, 28, 28))

    with torch.inference_mode():
        warm, t0 = 0, time.perf_counter()
        while True:
            y = model(x)
            warm += 1
            t = time.perf_counter()
            if t - t0 >= budget / 4 and warm >= 20:
                break
        runs = min(200000, max(50, int(budget / ((t - t0) / warm))))
        d = np.empty(runs)
        for r in range(runs):
            a = time.perf_counter_ns()
            y = model(x)
            d[r] = (time.perf_counter_ns() - a) / 1e3
    print(f"median_us {np.median(d):.3f} min_us {d.min():.3f} runs {runs} "
          f"class {int(y.argmax())}")


if __name__ == "__main__":
    main()
