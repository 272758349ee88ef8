# norm.py DIR — the models and references of tests/e2e/norm.sh: ONNX
# InstanceNormalization, LayerNormalization (axis -1 and -2),
# GroupNormalization (opset 18, per-group scale; opset 21, per-channel) and
# a Concat of 20 inputs, built with onnx.helper; per model: x.npy (6
# samples, also the calibration set), ref.npy (numpy's float64 result as f32).
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h

d = sys.argv[1]
rng = np.random.default_rng(18)


def save(name, nodes, shape, inits, opset, ref_fn):
    g = h.make_graph(nodes, name, [h.make_tensor_value_info('x', T.FLOAT, shape)],
                     [h.make_tensor_value_info('y', T.FLOAT, None)], inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid('', opset)])
    m.ir_version = 8
    onnx.save(m, f'{d}/{name}.onnx')
    x = rng.normal(0.5, 2, size=[6] + shape[1:]).astype(np.float32)
    np.save(f'{d}/{name}.x.npy', x)
    for i in range(3):
        x[i].tofile(f'{d}/{name}.x{i}.raw')
    np.save(f'{d}/{name}.ref.npy', ref_fn(x.astype(np.float64)).astype(np.float32))


def const(name, a):
    return h.make_tensor(name, T.FLOAT, a.shape, a.reshape(-1).tolist())


def norm(x, axes, eps):
    m = x.mean(axes, keepdims=True)
    return (x - m) / np.sqrt(((x - m) ** 2).mean(axes, keepdims=True) + eps)


C = 4
s = rng.uniform(0.5, 1.5, C).astype(np.float32)
b = rng.uniform(-1, 1, C).astype(np.float32)
save('inorm', [h.make_node('InstanceNormalization', ['x', 's', 'b'], ['y'], epsilon=1e-3)],
     [1, C, 5, 6], [const('s', s), const('b', b)], 13,
     lambda x: norm(x, (2, 3), 1e-3) * s.reshape(C, 1, 1) + b.reshape(C, 1, 1))
ls = rng.uniform(0.5, 1.5, 8).astype(np.float32)
lb = rng.uniform(-1, 1, 8).astype(np.float32)
save('lnorm1', [h.make_node('LayerNormalization', ['x', 's', 'b'], ['y'], axis=-1)],
     [1, 7, 8], [const('s', ls), const('b', lb)], 17, lambda x: norm(x, (2,), 1e-5) * ls + lb)
ls2 = rng.uniform(0.5, 1.5, (7, 8)).astype(np.float32)
save('lnorm2', [h.make_node('LayerNormalization', ['x', 's'], ['y'], axis=-2, epsilon=1e-4)],
     [1, 3, 7, 8], [const('s', ls2)], 17, lambda x: norm(x, (2, 3), 1e-4) * ls2)
G, C = 3, 6
gs = rng.uniform(0.5, 1.5, G).astype(np.float32)
gb = rng.uniform(-1, 1, G).astype(np.float32)


def gnorm(x, sc, bi):
    n = norm(x.reshape(x.shape[0], G, -1), (2,), 1e-5).reshape(x.shape)
    return n * sc.reshape(C, 1, 1) + bi.reshape(C, 1, 1)


save('gnorm18', [h.make_node('GroupNormalization', ['x', 's', 'b'], ['y'], num_groups=G)],
     [1, C, 4, 5], [const('s', gs), const('b', gb)], 18,
     lambda x: gnorm(x, np.repeat(gs, C // G), np.repeat(gb, C // G)))
cs = rng.uniform(0.5, 1.5, C).astype(np.float32)
cb = rng.uniform(-1, 1, C).astype(np.float32)
save('gnorm21', [h.make_node('GroupNormalization', ['x', 's', 'b'], ['y'], num_groups=G)],
     [1, C, 4, 5], [const('s', cs), const('b', cb)], 21, lambda x: gnorm(x, cs, cb))
# Concat of 20 run-time inputs: x times 20 different constants (so that the
# int8 operands have 20 different scales to requantize)
k = np.arange(1, 21, dtype=np.float32) / 4
nodes = [h.make_node('Mul', ['x', f'k{i}'], [f'm{i}']) for i in range(20)]
nodes.append(h.make_node('Concat', [f'm{i}' for i in range(20)], ['y'], axis=1))
save('cat20', nodes, [1, 2, 3], [const(f'k{i}', np.array([k[i]], np.float32)) for i in range(20)], 13,
     lambda x: np.concatenate([x * k[i] for i in range(20)], axis=1))
