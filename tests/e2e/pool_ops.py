"""pool_ops.py OUT — an ONNX model using AveragePool (with and without
count_include_pad, ceil_mode), GlobalAveragePool, Pad (constant),
Transpose and a dilated MaxPool (with ceil_mode), its input x.npy, calibration data calib.npy and the outputs PyTorch
computes (y.npy for the float input), for tests/e2e/pool_ops.sh."""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(11)
    pads = np.array([0, 0, 1, 2, 0, 0, 2, 1], dtype=np.int64)
    cv = np.array(0.25, dtype=np.float32)
    nodes = [
        helper.make_node('AveragePool', ['x'], ['a'], name='avg', kernel_shape=[3, 3],
                         strides=[2, 1], pads=[1, 1, 1, 1]),
        helper.make_node('AveragePool', ['x'], ['b'], name='avg_cip', kernel_shape=[2, 3],
                         strides=[1, 2], pads=[1, 1, 0, 1], count_include_pad=1),
        helper.make_node('AveragePool', ['x'], ['c'], name='avg_ceil', kernel_shape=[2, 2],
                         strides=[2, 2], ceil_mode=1),
        helper.make_node('GlobalAveragePool', ['a'], ['g'], name='gap'),
        helper.make_node('Pad', ['b', 'pads', 'cv'], ['p'], name='pad', mode='constant'),
        helper.make_node('Transpose', ['p'], ['t'], name='tr', perm=[0, 3, 1, 2]),
        helper.make_node('Transpose', ['c'], ['r'], name='rev'),
        helper.make_node('Flatten', ['g'], ['y'], name='flat'),
        helper.make_node('MaxPool', ['x'], ['m'], name='max_dil', kernel_shape=[2, 3],
                         strides=[2, 1], pads=[1, 1, 1, 1], dilations=[2, 2], ceil_mode=1),
    ]
    # quantc run takes one output: one model per output, each with the nodes it needs
    need = {'y': ['avg', 'gap', 'flat'], 't': ['avg_cip', 'pad', 'tr'], 'r': ['avg_ceil', 'rev'],
            'm': ['max_dil']}
    for o, names in need.items():
        g = helper.make_graph([nd for nd in nodes if nd.name in names], 'pool_' + o,
                              [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 3, 7, 9])],
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(pads, 'pads'),
                               numpy_helper.from_array(cv, 'cv')] if o == 't' else [])
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]),
                  os.path.join(out, 'pool_%s.onnx' % o))

    x = rng.uniform(-1, 1, (1, 3, 7, 9)).astype(np.float32)
    calib = rng.uniform(-1, 1, (64, 3, 7, 9)).astype(np.float32)
    calib[0] = x[0]
    np.save(os.path.join(out, 'x.npy'), x)
    np.save(os.path.join(out, 'calib.npy'), calib)
    tx = torch.from_numpy(x)
    a = F.avg_pool2d(tx, (3, 3), (2, 1), (1, 1), count_include_pad=False)
    b = F.avg_pool2d(F.pad(tx, (1, 1, 1, 0)), (2, 3), (1, 2))  # padding counted as zeros
    c = F.avg_pool2d(tx, (2, 2), (2, 2), ceil_mode=True, count_include_pad=False)
    gap = a.mean(dim=(2, 3))
    p = F.pad(b, (2, 1, 1, 2), value=0.25)  # (left, right, top, bottom)
    t = p.permute(0, 3, 1, 2)
    r = c.permute(3, 2, 1, 0)
    m = F.max_pool2d(tx, (2, 3), (2, 1), (1, 1), dilation=(2, 2), ceil_mode=True)
    for name, v in (('y', gap), ('t', t), ('r', r), ('m', m)):
        np.save(os.path.join(out, 'ref_%s.npy' % name), v.numpy().astype(np.float32))


main()
