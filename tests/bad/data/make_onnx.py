#!/usr/bin/python3
# make_onnx.py — writes the malformed ONNX models tests/bad/onnx_*.onnx (run
# from tests/bad/data with Debian's /usr/bin/python3 and python3-onnx; the
# outputs are committed, each with its onnx_*.err beside it).
import random

import numpy as np
import onnx
from onnx import TensorProto, helper


def model(nodes, inits, opset=13, shape=(1, 1, 4, 4)):
    g = helper.make_graph(nodes, 'g',
                          [helper.make_tensor_value_info('x', TensorProto.FLOAT, list(shape))],
                          [helper.make_tensor_value_info('y', TensorProto.FLOAT, None)], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)])


def save(m, name):
    onnx.save(m, f'../{name}.onnx')


w = helper.make_tensor('w', TensorProto.FLOAT, [2, 1, 3, 3],
                       np.linspace(-1, 1, 18, dtype=np.float32))
conv = helper.make_node('Conv', ['x', 'w'], ['y'], name='conv0', pads=[1, 1, 1, 1])

# a good model cut in the middle of its weights
whole = model([conv], [w]).SerializeToString()
with open('../onnx_truncated.onnx', 'wb') as f:
    f.write(whole[:len(whole) * 2 // 3])
# bytes that are no protobuf at all (a field number 0 comes early)
rng = random.Random(6)
with open('../onnx_garbage.onnx', 'wb') as f:
    f.write(b'\x00\x07' + bytes(rng.randrange(256) for _ in range(512)))
save(model([conv], [w], opset=22), 'onnx_opset22')
save(model([helper.make_node('Conv', ['x', 'w'], ['c'], name='conv0', pads=[1, 1, 1, 1]),
            helper.make_node('Det', ['c'], ['y'], name='det0')], [w]), 'onnx_unsupported_op')
# a BatchNormalization in training mode (batch statistics: nothing to fold)
bn = [helper.make_tensor(n, TensorProto.FLOAT, [1], [v])
      for n, v in (('g', 1.0), ('b', 0.0), ('m', 0.0), ('v', 1.0))]
save(model([helper.make_node('Relu', ['x'], ['r'], name='relu0'),
            helper.make_node('BatchNormalization', ['r', 'g', 'b', 'm', 'v'], ['y'], name='bn0',
                             training_mode=1)],
           bn, opset=14), 'onnx_bn_training')
# weights whose raw_data is shorter than their shape says
short = TensorProto(name='w', data_type=TensorProto.FLOAT, dims=[2, 1, 3, 3],
                    raw_data=np.zeros(3, np.float32).tobytes())
save(model([conv], [short]), 'onnx_raw_size')
# weights in a file beside the model
ext = TensorProto(name='w', data_type=TensorProto.FLOAT, dims=[2, 1, 3, 3],
                  data_location=TensorProto.EXTERNAL)
ext.external_data.add(key='location', value='weights.bin')
save(model([conv], [ext]), 'onnx_external_data')
# a symbolic dimension that is not the batch
save(model([conv], [w], shape=('N', 1, 'H', 4)), 'onnx_symbolic_dim')
# a Conv whose weights expect 1 channel on a 3-channel input
save(model([conv], [w], shape=(1, 3, 4, 4)), 'onnx_channels')
# an attribute given twice (pads: which one?)
dup = helper.make_node('Conv', ['x', 'w'], ['y'], name='conv0', pads=[1, 1, 1, 1])
dup.attribute.extend([helper.make_attribute('pads', [0, 0, 0, 0])])
save(model([dup], [w]), 'onnx_dup_attr')
# weights with raw_data and float_data both
both = TensorProto(name='w', data_type=TensorProto.FLOAT, dims=[2, 1, 3, 3],
                   raw_data=np.zeros(18, np.float32).tobytes(), float_data=[0.5] * 18)
save(model([conv], [both]), 'onnx_raw_and_typed')
# a Constant with two values
two = helper.make_node('Constant', [], ['w'], name='const0', value_float=1.0,
                       value=helper.make_tensor('t', TensorProto.FLOAT, [2, 1, 3, 3],
                                                np.ones(18, np.float32)))
save(model([two, conv], []), 'onnx_constant_two_values')
# a Relu (one output) with two
save(model([helper.make_node('Conv', ['x', 'w'], ['c'], name='conv0', pads=[1, 1, 1, 1]),
            helper.make_node('Relu', ['c'], ['y', 'y2'], name='relu0')], [w]),
     'onnx_two_outputs')
# the standard operator set imported twice, in two versions
twice = model([conv], [w])
twice.opset_import.extend([helper.make_opsetid('ai.onnx', 11)])
save(twice, 'onnx_two_opsets')
