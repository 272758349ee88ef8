"""conv_ops.py OUT — the models of tests/e2e/conv_ops.sh, their inputs and
calibration samples, and the outputs PyTorch / numpy compute for them:
  conv1d.onnx   Conv1d layers exported from PyTorch (stride, dilation,
                groups, padding, a bias-free one), then ConvTranspose1d ones
                (stride, padding, output_padding, dilation, groups, a
                padding beyond the window: cropped)
  convt2d.onnx  ConvTranspose2d layers (stride 2 with padding and
                output_padding, kernel 4 stride 2, groups and dilation,
                unequal strides, no bias, padding beyond the window with
                output_padding: cropped)
  attn.onnx     MatMul of two run-time tensors from one input: softmax-free
                attention scores x @ x^T (batched, rank 4), then times x
  mm2.onnx      MatMul with two inputs: a [1, 2, 3, 4] x b [4, 5] (batch
                broadcast), and a 1-D vector times a matrix
  gemm.onnx     Gemm with a run-time B: transA, transB, alpha, beta, a
                constant C
Each NAME has NAME_x.npy (the f32 check's samples), NAME_ref.npy (the
reference outputs for them) and NAME_calib.npy."""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(7)
rng = np.random.default_rng(7)


def save(name, x, ref, calib):
    np.save(os.path.join(out, name + '_x.npy'), x.astype(np.float32))
    np.save(os.path.join(out, name + '_ref.npy'), ref.astype(np.float32))
    np.save(os.path.join(out, name + '_calib.npy'), calib.astype(np.float32))


def export(name, m, shape, fn):
    """Exports module m (input [1, *shape]) and saves fn's reference for
    8 samples (fn computes with torch.nn.functional, not the module)."""
    m.eval()
    torch.onnx.export(m, torch.zeros(1, *shape), os.path.join(out, name + '.onnx'),
                      opset_version=13, input_names=['x'], output_names=['y'])
    x = rng.uniform(-1, 1, (8, *shape)).astype(np.float32)
    with torch.no_grad():
        ref = np.concatenate([fn(torch.from_numpy(x[i:i + 1])).numpy() for i in range(8)])
    save(name, x, ref, rng.uniform(-1, 1, (32, *shape)))


class Conv1dNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2)
        self.b = nn.Conv1d(6, 6, 5, padding=2, groups=3)
        self.c = nn.Conv1d(6, 8, 1, bias=False)
        self.t = nn.ConvTranspose1d(8, 6, 4, stride=2, padding=1)
        self.u = nn.ConvTranspose1d(6, 4, 3, stride=3, padding=1, output_padding=2,
                                    dilation=2, groups=2)
        # padding 2 beyond the window's reach 1: the result is cropped
        self.v = nn.ConvTranspose1d(4, 3, 2, stride=2, padding=2)

    def forward(self, x):
        return self.v(self.u(torch.relu(self.t(self.c(torch.relu(self.b(self.a(x))))))))


def conv1d_ref(m):
    def fn(x):
        y = F.conv1d(x, m.a.weight, m.a.bias, stride=2, padding=2, dilation=2)
        y = torch.relu(F.conv1d(y, m.b.weight, m.b.bias, padding=2, groups=3))
        y = F.conv1d(y, m.c.weight)
        y = torch.relu(F.conv_transpose1d(y, m.t.weight, m.t.bias, stride=2, padding=1))
        y = F.conv_transpose1d(y, m.u.weight, m.u.bias, stride=3, padding=1,
                               output_padding=2, dilation=2, groups=2)
        return F.conv_transpose1d(y, m.v.weight, m.v.bias, stride=2, padding=2)
    return fn


class ConvT2dNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1)
        self.b = nn.ConvTranspose2d(4, 6, 4, stride=2, padding=1)
        self.c = nn.ConvTranspose2d(6, 4, (3, 2), stride=(1, 2), padding=(2, 0), groups=2,
                                    dilation=(2, 1))
        self.d = nn.ConvTranspose2d(4, 2, 2, stride=(3, 1), bias=False)
        # padding 3 beyond the reach 2 of a 3-tap window (cropped at both
        # ends of the rows, with output_padding), 2 on the columns
        self.e = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=(3, 2), output_padding=1)

    def forward(self, x):
        return self.e(self.d(self.c(torch.relu(self.b(torch.relu(self.a(x)))))))


def convt2d_ref(m):
    def fn(x):
        y = torch.relu(F.conv_transpose2d(x, m.a.weight, m.a.bias, stride=2, padding=1,
                                          output_padding=1))
        y = torch.relu(F.conv_transpose2d(y, m.b.weight, m.b.bias, stride=2, padding=1))
        y = F.conv_transpose2d(y, m.c.weight, m.c.bias, stride=(1, 2), padding=(2, 0),
                               groups=2, dilation=(2, 1))
        y = F.conv_transpose2d(y, m.d.weight, stride=(3, 1))
        return F.conv_transpose2d(y, m.e.weight, m.e.bias, stride=2, padding=(3, 2),
                                  output_padding=1)
    return fn


c1 = Conv1dNet()
export('conv1d', c1, (4, 33), conv1d_ref(c1))
c2 = ConvT2dNet()
export('convt2d', c2, (3, 4, 5), convt2d_ref(c2))


class Attn(nn.Module):
    def forward(self, x):
        s = torch.matmul(x, x.transpose(2, 3))
        return torch.matmul(s, x)


export('attn', Attn(), (2, 5, 3), lambda x: torch.matmul(torch.matmul(x, x.transpose(2, 3)), x))


def model(name, nodes, inputs, inits=()):
    g = helper.make_graph(nodes, name,
                          [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
                          [helper.make_tensor_value_info('y', TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(v, n) for n, v in inits])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]),
              os.path.join(out, name + '.onnx'))


# two run-time inputs: a batched a times b (batch broadcast); a vector (v
# reshaped to [3]) times the result
model('mm2', [helper.make_node('MatMul', ['a', 'b'], ['p']),
              helper.make_node('Reshape', ['v', 'vs'], ['v1']),
              helper.make_node('MatMul', ['v1', 'p'], ['y'])],
      [('a', [1, 2, 3, 4]), ('b', [1, 4, 5]), ('v', [1, 3])],
      [('vs', np.array([3], np.int64))])
a = rng.uniform(-1, 1, (1, 2, 3, 4)).astype(np.float32)
b = rng.uniform(-1, 1, (1, 4, 5)).astype(np.float32)
v = rng.uniform(-1, 1, (1, 3)).astype(np.float32)
for n, t in (('a', a), ('b', b), ('v', v)):
    np.save(os.path.join(out, 'mm2_%s.npy' % n), t)
np.save(os.path.join(out, 'mm2_ref.npy'), np.matmul(v[0], np.matmul(a, b)))

# Gemm: y = 0.5 * A^T B^T + 2 * C with A = x^T [6, 3] and B = (x^T W)^T
# [4, 6] both computed from the input (x [1, 18] viewed as [3, 6])
w = rng.uniform(-1, 1, (3, 4)).astype(np.float32)
cc = rng.uniform(-1, 1, (3, 4)).astype(np.float32)
model('gemm', [helper.make_node('Reshape', ['x', 'xs'], ['x2']),
               helper.make_node('Transpose', ['x2'], ['at'], perm=[1, 0]),
               helper.make_node('MatMul', ['at', 'w'], ['bt0']),
               helper.make_node('Transpose', ['bt0'], ['bt'], perm=[1, 0]),
               helper.make_node('Gemm', ['at', 'bt', 'c'], ['y'], transA=1, transB=1,
                                alpha=0.5, beta=2.0)],
      [('x', [1, 18])], [('w', w), ('c', cc), ('xs', np.array([3, 6], np.int64))])
x = rng.uniform(-1, 1, (8, 18)).astype(np.float32)
ref = np.stack([0.5 * (r.reshape(3, 6) @ (r.reshape(3, 6).T @ w)) + 2.0 * cc for r in x])
save('gemm', x, ref, rng.uniform(-1, 1, (32, 18)))

# 3-D convolutions, refused by name
w3 = rng.uniform(-1, 1, (2, 1, 2, 2, 2)).astype(np.float32)
model('conv3d', [helper.make_node('Conv', ['x', 'w'], ['y'], name='c3')],
      [('x', [1, 1, 4, 4, 4])], [('w', w3)])
model('convt3d', [helper.make_node('ConvTranspose', ['x', 'w'], ['y'], name='t3')],
      [('x', [1, 2, 4, 4, 4])], [('w', w3)])
