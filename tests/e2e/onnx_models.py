#!/usr/bin/python3
"""onnx_models.py — small ONNX models and their expected outputs for
tests/e2e/onnx.sh (Debian's /usr/bin/python3: numpy, torch, python3-onnx).

usage: onnx_models.py bn|mix|view|bad OUTDIR
       onnx_models.py close GOT.npy WANT.npy   (exit 1 unless allclose)
       onnx_models.py ops MODEL.onnx           (prints the op types, sorted)
       onnx_models.py mutate SRC.onnx OUTDIR N   (OUTDIR/mutant_1..N.onnx)

bn, mix and view write OUTDIR/NAME.onnx, an input OUTDIR/NAME_x.npy of 8
samples [8, ...] and what PyTorch computes for them, OUTDIR/NAME_ref.npy.
"""
import os
import random
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# torch and torch.nn.functional: imported by main for bn, mix and view only
# (importing torch costs a second of CPU, and onnx.sh and onnx_extras.sh call
# close, ops and mutate often)
torch = F = None

rng = np.random.RandomState(7)


def randn(*shape, scale=1.0):
    return (rng.randn(*shape) * scale).astype(np.float32)


def save_model(out, name, nodes, inits, in_shape, opset=13):
    g = helper.make_graph(nodes, name,
                          [helper.make_tensor_value_info('x', TensorProto.FLOAT, in_shape)],
                          [helper.make_tensor_value_info('y', TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(v, k) for k, v in inits.items()])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)]),
              os.path.join(out, f'{name}.onnx'))


def save_io(out, name, x, y):
    np.save(os.path.join(out, f'{name}_x.npy'), x)
    np.save(os.path.join(out, f'{name}_ref.npy'), np.ascontiguousarray(y, dtype=np.float32))


def t(a):
    return torch.from_numpy(a)


def bn(out):
    """Conv (with bias) -> BatchNormalization -> Relu, BN statistics far from
    the identity, so that a missing or wrong fold shows."""
    p = dict(w=randn(6, 3, 3, 3, scale=0.3), b=randn(6, scale=0.1),
             gamma=rng.uniform(0.5, 2, 6).astype(np.float32), beta=randn(6, scale=0.5),
             mean=randn(6, scale=0.5), var=rng.uniform(0.2, 3, 6).astype(np.float32))
    nodes = [helper.make_node('Conv', ['x', 'w', 'b'], ['c'], name='conv', pads=[1, 1, 1, 1]),
             helper.make_node('BatchNormalization', ['c', 'gamma', 'beta', 'mean', 'var'], ['n'],
                              name='bn', epsilon=1e-3),
             helper.make_node('Relu', ['n'], ['y'], name='relu')]
    save_model(out, 'bn', nodes, p, ['batch', 3, 10, 10])
    x = randn(8, 3, 10, 10)
    c = F.conv2d(t(x), t(p['w']), t(p['b']), padding=1)
    y = F.relu(F.batch_norm(c, t(p['mean']), t(p['var']), t(p['gamma']), t(p['beta']),
                            training=False, eps=1e-3))
    save_io(out, 'bn', x, y.numpy())


def mix(out):
    """Most of what the importer maps, in one graph: grouped strided Conv
    with auto_pad SAME_UPPER, BN without a conv bias, Clip [0, 6] (fused
    relu6), MaxPool with ceil_mode, Flatten, MatMul + Add (dense with bias),
    Relu, Gemm with transB = 0, alpha and beta."""
    p = dict(w=randn(8, 2, 3, 3, scale=0.3), gamma=rng.uniform(0.5, 2, 8).astype(np.float32),
             beta=randn(8, scale=0.5), mean=randn(8, scale=0.5),
             var=rng.uniform(0.2, 3, 8).astype(np.float32),
             lo=np.array(0, np.float32), hi=np.array(6, np.float32),
             mw=randn(72, 16, scale=0.2), mb=randn(16, scale=0.1),
             gw=randn(16, 5, scale=0.3), gc=randn(1, 5, scale=0.1))
    nodes = [helper.make_node('Conv', ['x', 'w'], ['c'], name='conv', group=2, strides=[2, 2],
                              auto_pad='SAME_UPPER', kernel_shape=[3, 3]),
             helper.make_node('BatchNormalization', ['c', 'gamma', 'beta', 'mean', 'var'], ['n'],
                              name='bn'),
             helper.make_node('Clip', ['n', 'lo', 'hi'], ['r6'], name='relu6'),
             helper.make_node('MaxPool', ['r6'], ['p'], name='pool', kernel_shape=[2, 2],
                              strides=[2, 2], ceil_mode=1),
             helper.make_node('Flatten', ['p'], ['f'], name='flat'),
             helper.make_node('MatMul', ['f', 'mw'], ['m'], name='fc1'),
             helper.make_node('Add', ['m', 'mb'], ['a'], name='fc1_bias'),
             helper.make_node('Relu', ['a'], ['r'], name='relu'),
             helper.make_node('Gemm', ['r', 'gw', 'gc'], ['y'], name='fc2', alpha=0.5, beta=2.0)]
    save_model(out, 'mix', nodes, p, ['batch', 4, 11, 11])
    x = randn(8, 4, 11, 11)
    c = F.conv2d(F.pad(t(x), (1, 1, 1, 1)), t(p['w']), stride=2, groups=2)  # SAME: 11 -> 6
    n = F.batch_norm(c, t(p['mean']), t(p['var']), t(p['gamma']), t(p['beta']), training=False)
    q = F.max_pool2d(torch.clamp(n, 0, 6), 2, 2, ceil_mode=True)  # 6 -> 3
    r = F.relu(q.flatten(1) @ t(p['mw']) + t(p['mb']))
    save_io(out, 'mix', x, (0.5 * (r @ t(p['gw'])) + 2.0 * t(p['gc'])).numpy())


def view(out):
    """x.view(x.size(0), -1): with a dynamic batch axis the exporter computes
    the shape at run time (Shape, Gather, Unsqueeze, Concat, Reshape)."""
    class ViewNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
            self.fc = torch.nn.Linear(4 * 8 * 8, 10)

        def forward(self, x):
            x = torch.relu(self.conv(x))
            return self.fc(x.view(x.size(0), -1))

    torch.manual_seed(0)
    net = ViewNet().eval()
    x = randn(8, 1, 8, 8)
    with torch.no_grad():
        torch.onnx.export(net, torch.zeros(1, 1, 8, 8), os.path.join(out, 'view.onnx'),
                          input_names=['x'], output_names=['y'], opset_version=13,
                          dynamic_axes={'x': {0: 'batch'}, 'y': {0: 'batch'}})
        save_io(out, 'view', x, net(t(x)).numpy())


def bad(out):
    """Models quantc must refuse: an operator it lacks, an opset it does not
    read.  (Truncated and garbage files are made by onnx.sh.)"""
    w = {'w': randn(2, 1, 3, 3)}
    conv = helper.make_node('Conv', ['x', 'w'], ['c'], name='conv0', pads=[1, 1, 1, 1])
    save_model(out, 'unsupported', [conv, helper.make_node('Det', ['c'], ['y'], name='det0')],
               w, [1, 1, 4, 4])
    conv.output[0] = 'y'
    save_model(out, 'opset22', [conv], w, [1, 1, 4, 4], opset=22)


def mutate(src, out, n):
    """n copies of src with a few bytes changed, or cut short (for the
    robustness loop), deterministic."""
    r = random.Random(1)
    whole = open(src, 'rb').read()
    for i in range(1, n + 1):
        b = bytearray(whole)
        if r.randrange(3) == 0:
            b = b[:r.randrange(len(b))]
        else:
            for _ in range(r.randrange(1, 6)):
                b[r.randrange(len(b))] = r.randrange(256)
        with open(os.path.join(out, f'mutant_{i}.onnx'), 'wb') as f:
            f.write(b)


def main():
    global torch, F
    cmd = sys.argv[1] if len(sys.argv) > 1 else ''
    if cmd in ('bn', 'mix', 'view', 'bad') and len(sys.argv) == 3:
        os.makedirs(sys.argv[2], exist_ok=True)
        if cmd != 'bad':
            import torch
            import torch.nn.functional as F
        globals()[cmd](sys.argv[2])
    elif cmd == 'close' and len(sys.argv) == 4:
        got, want = np.load(sys.argv[2]), np.load(sys.argv[3])
        err = np.abs(got.reshape(want.shape) - want).max() if got.size == want.size else np.inf
        print(f'max |difference| {err:.3g} over {want.size} values')
        sys.exit(0 if np.allclose(got.reshape(-1), want.reshape(-1), rtol=1e-4, atol=1e-5)
                 and got.size == want.size else 1)
    elif cmd == 'ops' and len(sys.argv) == 3:
        print(' '.join(sorted({n.op_type for n in onnx.load(sys.argv[2]).graph.node})))
    elif cmd == 'mutate' and len(sys.argv) == 5:
        os.makedirs(sys.argv[3], exist_ok=True)
        mutate(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
