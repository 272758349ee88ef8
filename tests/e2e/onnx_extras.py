#!/usr/bin/python3
"""onnx_extras.py — small ONNX models for tests/e2e/onnx_extras.sh: the
importer's mappings that take more than one IR node, and a model with two
inputs and two outputs for `quantc run`.

usage: onnx_extras.py OUTDIR

writes OUTDIR/M.onnx, M_x.npy (M_x0.npy, M_x1.npy for two inputs; .raw
copies for the compiled model) and the expected M_ref.npy (M_ref0.npy,
M_ref1.npy) for each model M:
  bn_input  BatchNormalization on a graph input (a per-channel mul and add)
  bn_relu   Conv -> Relu -> BatchNormalization (the BN cannot fold)
  maxpool1d MaxPool of a rank-3 input (kernel 3, stride 2, pads 1, 1)
  avgpool1d AveragePool of a rank-3 input (ceil_mode, padding not counted)
  gemm_ta   Gemm with transA = 1, alpha, beta and a matrix C
  io2       inputs a, b; outputs y0 = Identity(a) (a graph input as an
            output), y1 = a + b
References are NumPy's (and PyTorch's for the pools).
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper
import onnx

rng = np.random.RandomState(11)


def randn(*shape, scale=1.0):
    return (rng.randn(*shape) * scale).astype(np.float32)


def save(out, name, nodes, inits, ins, outs):
    """ins, outs: (name, shape) pairs."""
    vi = helper.make_tensor_value_info
    g = helper.make_graph(nodes, name, [vi(n, TensorProto.FLOAT, s) for n, s in ins],
                          [vi(n, TensorProto.FLOAT, s) for n, s in outs],
                          [numpy_helper.from_array(v, k) for k, v in inits.items()])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]),
              os.path.join(out, name + '.onnx'))


def data(out, name, suffix, a):
    a = np.ascontiguousarray(a, dtype=np.float32)
    np.save(os.path.join(out, '%s_%s.npy' % (name, suffix)), a)
    a.tofile(os.path.join(out, '%s_%s.raw' % (name, suffix)))


def bn_params(c):
    return dict(gamma=rng.uniform(0.5, 2, c).astype(np.float32), beta=randn(c, scale=0.5),
                mean=randn(c, scale=0.5), var=rng.uniform(0.2, 3, c).astype(np.float32))


def bn_ref(x, p, eps):
    r = lambda v: v.reshape(1, -1, 1, 1)
    return (x - r(p['mean'])) / np.sqrt(r(p['var']) + eps) * r(p['gamma']) + r(p['beta'])


def bn_input(out):
    p = bn_params(3)
    nodes = [helper.make_node('BatchNormalization', ['x', 'gamma', 'beta', 'mean', 'var'], ['y'],
                              name='bn', epsilon=1e-3)]
    save(out, 'bn_input', nodes, p, [('x', [1, 3, 4, 5])], [('y', [1, 3, 4, 5])])
    x = randn(4, 3, 4, 5)
    data(out, 'bn_input', 'x', x)
    data(out, 'bn_input', 'ref', bn_ref(x, p, 1e-3))


def bn_relu(out):
    p = bn_params(4)
    p['w'] = randn(4, 2, 3, 3, scale=0.4)
    nodes = [helper.make_node('Conv', ['x', 'w'], ['c'], name='conv', pads=[1, 1, 1, 1]),
             helper.make_node('Relu', ['c'], ['r'], name='relu'),
             helper.make_node('BatchNormalization', ['r', 'gamma', 'beta', 'mean', 'var'], ['y'],
                              name='bn')]
    save(out, 'bn_relu', nodes, p, [('x', [1, 2, 6, 6])], [('y', [1, 4, 6, 6])])
    x = randn(4, 2, 6, 6)
    r = F.relu(F.conv2d(torch.from_numpy(x), torch.from_numpy(p['w']), padding=1)).numpy()
    data(out, 'bn_relu', 'x', x)
    data(out, 'bn_relu', 'ref', bn_ref(r, p, 1e-5))


def pools(out):
    x = randn(4, 3, 11)
    save(out, 'maxpool1d', [helper.make_node('MaxPool', ['x'], ['y'], name='mp', kernel_shape=[3],
                                             strides=[2], pads=[1, 1])],
         {}, [('x', [1, 3, 11])], [('y', [1, 3, 6])])
    data(out, 'maxpool1d', 'x', x)
    data(out, 'maxpool1d', 'ref', F.max_pool1d(torch.from_numpy(x), 3, 2, padding=1).numpy())
    save(out, 'avgpool1d', [helper.make_node('AveragePool', ['x'], ['y'], name='ap',
                                             kernel_shape=[3], strides=[2], pads=[1, 1],
                                             ceil_mode=1)],
         {}, [('x', [1, 3, 11])], [('y', [1, 3, 6])])
    data(out, 'avgpool1d', 'x', x)
    data(out, 'avgpool1d', 'ref', F.avg_pool1d(torch.from_numpy(x), 3, 2, padding=1, ceil_mode=True,
                                               count_include_pad=False).numpy())


def gemm_ta(out):
    b, c = randn(4, 5), randn(3, 5)
    nodes = [helper.make_node('Gemm', ['x', 'b', 'c'], ['y'], name='gemm', transA=1, alpha=0.5,
                              beta=2.0)]
    save(out, 'gemm_ta', nodes, dict(b=b, c=c), [('x', [4, 3])], [('y', [3, 5])])
    x = randn(4, 3)
    data(out, 'gemm_ta', 'x', x)
    data(out, 'gemm_ta', 'ref', 0.5 * x.T @ b + 2.0 * c)


def io2(out):
    nodes = [helper.make_node('Identity', ['a'], ['y0'], name='id'),
             helper.make_node('Add', ['a', 'b'], ['y1'], name='add')]
    save(out, 'io2', nodes, {}, [('a', [1, 4]), ('b', [1, 4])], [('y0', [1, 4]), ('y1', [1, 4])])
    a, b = randn(3, 4), randn(3, 4)
    data(out, 'io2', 'x0', a)
    data(out, 'io2', 'x1', b)
    data(out, 'io2', 'ref0', a)
    data(out, 'io2', 'ref1', a + b)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for f in (bn_input, bn_relu, pools, gemm_ta, io2):
        f(out)


if __name__ == '__main__':
    main()
