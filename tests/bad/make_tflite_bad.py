#!/usr/bin/python3
"""tests/bad/make_tflite_bad.py — writes the malformed .tflite cases
tests/bad/tfl_*.tflite and their .err files (the lines quantc's stderr must
hold; tests/e2e/bad_inputs.sh runs `quantc compile tfl_NAME.tflite
--precision f32`).  Run it from anywhere; it writes beside itself.

Each case is a small valid model built with tests/fuzz/make_tflite_seeds.py's
`model()` (python3-flatbuffers), either built wrong on purpose (an index out
of range, a scale of 0, ...) or with a few bytes patched at the positions
`model()` reports (an offset past the end, a broken vtable, ...).  The .err
lines are the reader's (frontend/tflite_read.c) and the importer's
(frontend/tflite.c) own diagnostics.
"""
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'fuzz'))
from make_tflite_seeds import (ACT_RELU, FLOAT32, INT32, INT8, OPS, OPT, SAME, Op, T,  # noqa: E402
                               field_pos, model, qi8)


def conv(opcode_index=0, ins=(0, 1, 2), w_raw=None, in_shape=(1, 5, 5, 2), in_scale=0.05,
         in_zp=-3, out_zp=-128, w_scales=(0.01, 0.02, 0.005), version=3, nsubgraphs=1, opcodes=None,
         extra_tensors=(), extra_ops=(), external_buffers=False):
    """CONV_2D int8 with per-channel weights (the shape of kws's first
    layer, smaller), optionally broken in one way."""
    ws = list(w_scales)
    w = T([3, 3, 3, 2], INT8, qi8(54, 1), scale=ws, zp=[0] * len(ws), qdim=0, name='w')
    if w_raw is not None:
        w.raw = w_raw
    ts = [T(list(in_shape), INT8, scale=[in_scale], zp=[in_zp], name='input'),
          w,
          T([3], INT32, [100, -50, 7], scale=[0.05 * s for s in (0.01, 0.02, 0.005)],
            zp=[0, 0, 0], name='bias'),
          T([1, 5, 5, 3], INT8, scale=[0.1], zp=[out_zp], name='output')] + list(extra_tensors)
    ops = [Op(opcode_index, list(ins), [3], OPT['Conv2D'],
              [(0, 'b', SAME), (1, 'i', 1), (2, 'i', 1), (3, 'b', ACT_RELU)])] + list(extra_ops)
    return model(opcodes or [(OPS['CONV_2D'], None, 3)], ts, ops, [0], [3], version=version,
                 nsubgraphs=nsubgraphs, external_buffers=external_buffers)


def patched(fn, **kw):
    """a case that patches the bytes of the valid model"""
    m = conv(**kw)
    data = bytearray(m.data)
    fn(m, data)
    return bytes(data)


def put32(data, pos, v, fmt='<I'):
    struct.pack_into(fmt, data, pos, v)


def root_past_end(m, d):
    put32(d, 0, len(d) + 64)


def vtable_outside(m, d):
    # the root table's soffset points its vtable 100 bytes past the end
    r = m.at('root')
    put32(d, r, r - (len(d) + 100), '<i')


def vtable_short(m, d):
    r = m.at('root')
    vt = r - struct.unpack_from('<i', d, r)[0]
    struct.pack_into('<H', d, vt, 2)


def misaligned_table(m, d):
    # the first element of subgraph 0's tensor vector points 2 bytes further
    v = m.at('tensors')
    put32(d, v + 4, struct.unpack_from('<I', d, v + 4)[0] + 2)


def vector_overflow(m, d):
    # tensor 0's shape: 2^30 + 1 elements of 4 bytes (the byte count wraps
    # to 4 in 32 bits)
    put32(d, m.at('shape0'), 0x40000001)


def string_unterminated(m, d):
    p = m.at('name0')
    n = struct.unpack_from('<I', d, p)[0]
    d[p + 4 + n] = ord('x')


def buffer_index(m, d):
    put32(d, field_pos(d, m.at('tensor1'), 2), 50)


def external_past_end(m, d):
    # the weights' Buffer.size (data after the FlatBuffer) is 1 MB
    struct.pack_into('<Q', d, field_pos(d, m.at('buffer1'), 2), 1 << 20)


def options_outside(m, d):
    # Conv2DOptions' stride_w (field 1, int32) said to start 2 bytes before
    # the end of its table: the reader accepts the file (options are read
    # when the importer asks), tfl_opt_int refuses the field
    t = m.at('opt0')
    vt = t - struct.unpack_from('<i', d, t)[0]
    tlen = struct.unpack_from('<H', d, vt + 2)[0]
    struct.pack_into('<H', d, vt + 4 + 2 * 1, tlen - 2)


CASES = {
    # the FlatBuffer itself
    'truncated': lambda: conv().data[:300],
    'root_past_end': lambda: patched(root_past_end),
    'vtable_outside': lambda: patched(vtable_outside),
    'vtable_short': lambda: patched(vtable_short),
    'misaligned_table': lambda: patched(misaligned_table),
    'vector_overflow': lambda: patched(vector_overflow),
    'string_unterminated': lambda: patched(string_unterminated),
    # the model's indices and data
    'tensor_index': lambda: conv(ins=(0, 1, 99)).data,
    'opcode_index': lambda: conv(opcode_index=5).data,
    'buffer_index': lambda: patched(buffer_index),
    'buffer_short': lambda: conv(w_raw=bytes(50)).data,
    'rank7': lambda: conv(in_shape=(1, 1, 1, 1, 5, 5, 2)).data,
    'negative_dim': lambda: conv(in_shape=(1, -5, 5, 2)).data,
    'scale_zero': lambda: conv(in_scale=0.0).data,
    'scale_nan': lambda: conv(in_scale=float('nan')).data,
    'zero_point_big': lambda: conv(in_zp=1 << 40).data,
    # fuzz_tflite's: the importer pinned it, infer-shapes' verifier refused it
    'zero_point_int8': lambda: conv(out_zp=-249).data,
    'external_past_end': lambda: patched(external_past_end, external_buffers=True),
    'perchannel_count': lambda: conv(w_scales=(0.01, 0.02)).data,
    'version2': lambda: conv(version=2).data,
    'options_outside': lambda: patched(options_outside),
    # what the importer refuses
    'two_subgraphs': lambda: conv(nsubgraphs=2).data,
    'variable': lambda: conv(extra_tensors=[T([1, 5, 5, 3], INT8, scale=[0.1], zp=[0],
                                              name='state', variable=True)]).data,
    'sparse': lambda: conv(extra_tensors=[T([4, 4], FLOAT32, [0.0] * 16, name='sparse_w',
                                            sparse=True)],
                           extra_ops=[]).data,
    'unknown_op': lambda: conv(
        opcodes=[(OPS['CONV_2D'], None, 3), OPS['SIN']],
        extra_tensors=[T([1, 5, 5, 3], INT8, scale=[0.1], zp=[-128], name='sin_out')],
        extra_ops=[Op(1, [3], [4])]).data,
    'two_unsupported': lambda: conv(
        opcodes=[(OPS['CONV_2D'], None, 3), OPS['SIN'], (OPS['CUSTOM'], 'MyFancyOp', 1)],
        extra_tensors=[T([1, 5, 5, 3], INT8, scale=[0.1], zp=[-128], name='sin_out'),
                       T([1, 5, 5, 3], INT8, scale=[0.1], zp=[-128], name='fancy_out')],
        extra_ops=[Op(1, [3], [4]), Op(2, [4], [5], custom_options=b'\x01')]).data,
}

# the lines stderr must hold: the reader's and the importer's messages
ERR = {
    'truncated': ["buffer 0: table at byte 828 is outside the file"],
    'root_past_end': ["the model: table at byte 896 is outside the file"],
    'vtable_outside': ["the model: the vtable of the table at byte 16 is outside the file"],
    'vtable_short': ["the model: the vtable at byte 126 has a bad length 2"],
    'misaligned_table': ["subgraph 0: table at byte 626 is misaligned"],
    'vector_overflow': ["tensor 0 ('input'): vector of 1073741825 elements at byte 692 runs "
                        "past the end of the file"],
    'string_unterminated': ["subgraph 0: tensor 0: string at byte 712 has no terminating 0"],
    'tensor_index': ["operator 0: tensor index 99 is not one of the subgraph's 4 tensors"],
    'opcode_index': ["operator 0: opcode index 5 is past the model's 1 operator codes"],
    'buffer_index': ["tensor 1 ('w'): buffer 50 is past the model's 3 buffers"],
    'buffer_short': ["tensor 1 ('w'): its int8[54 elements] needs 54 bytes but buffer 1 has 50"],
    'rank7': ["tensor 0 ('input'): rank 7 is more than quantc's 6"],
    'negative_dim': ["tensor 0 ('input'): dimension 1 is -5"],
    'scale_zero': ["tensor 0 ('input'): scale 0 is 0 (a scale must be finite and > 0)"],
    'scale_nan': ["tensor 0 ('input'): scale 0 is nan (a scale must be finite and > 0)"],
    'zero_point_big': ["tensor 0 ('input'): zero point 0 (1099511627776) does not fit int32"],
    'zero_point_int8': ["tensor 3 ('output'): zero point 0 (-249) is outside int8"],
    'external_past_end': ["buffer 1: 1048576 bytes at offset 784 run past the end of the file"],
    'perchannel_count': ["tensor 1 ('w'): 2 scales for the 3 entries of axis 0"],
    'version2': ["schema version 2: quantc reads TFLite's version 3"],
    'options_outside': ["operator 0 (CONV_2D): field 1 lies outside its table"],
    # the importer's
    'two_subgraphs': ["the model has 2 subgraphs; quantc compiles models of one subgraph"],
    'variable': ["tensor 4 ('state') is a variable tensor (state kept between runs); "
                 "quantc compiles stateless models"],
    'sparse': ["tensor 4 ('sparse_w') is sparse; quantc takes dense tensors"],
    'unknown_op': ["operator 1 (SIN, output 'sin_out'): SIN (builtin code 66) is not "
                   "supported"],
    'two_unsupported': ["operator 1 (SIN, output 'sin_out'): SIN (builtin code 66) is not "
                        "supported",
                        "operator 2 (MyFancyOp, output 'fancy_out'): the custom operator "
                        "'MyFancyOp' is not supported"],
}


def main():
    for name, make in CASES.items():
        data = make()
        assert len(data) < 4096, (name, len(data))
        with open(os.path.join(here, 'tfl_%s.tflite' % name), 'wb') as f:
            f.write(data)
        with open(os.path.join(here, 'tfl_%s.err' % name), 'w') as f:
            for line in ERR.get(name, ['']):
                f.write('tfl_%s.tflite: error: %s\n' % (name, line))


if __name__ == '__main__':
    main()
