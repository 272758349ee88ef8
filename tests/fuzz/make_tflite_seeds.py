#!/usr/bin/python3
"""tests/fuzz/make_tflite_seeds.py OUTDIR — writes tiny valid .tflite models
(each under 2 KB) as seeds for fuzz_tflite: one operator or a short chain of
each kind the importer knows, int8 (per-channel and per-tensor weights,
int32 biases), int16x8 and float, plus the schema's rarer corners (a custom
operator, buffers stored after the FlatBuffer by offset/size, a second
subgraph, variable and sparse tensors).

It is also a small library: `model(...)` builds a .tflite from plain Python
values with python3-flatbuffers' Builder and returns the bytes and the file
positions of its tables and vectors, which tests/bad/make_tflite_bad.py uses
to patch malformed files.  Field ids are those of TFLite's schema.fbs
(schema version 3); a union takes two ids (type, value).
"""
import math
import os
import struct
import sys

import flatbuffers

# TensorType
FLOAT32, INT32, INT64, INT16, INT8 = 0, 2, 4, 7, 9
# BuiltinOperator codes
OPS = dict(ADD=0, AVERAGE_POOL_2D=1, CONCATENATION=2, CONV_2D=3, DEPTHWISE_CONV_2D=4,
           DEQUANTIZE=6, FULLY_CONNECTED=9, LOGISTIC=14, MAX_POOL_2D=17, MUL=18, RELU=19,
           RELU6=21, RESHAPE=22, SOFTMAX=25, TANH=28, CUSTOM=32, PAD=34, MEAN=40, SUB=41,
           SQUEEZE=43, SIN=66, LEAKY_RELU=98, QUANTIZE=114, HARD_SWISH=117)
# BuiltinOptions union tags
OPT = dict(Conv2D=1, DepthwiseConv2D=2, Pool2D=5, FullyConnected=8, Softmax=9,
           Concatenation=10, Add=11, Reshape=17, Mul=21, Pad=22, Reducer=27, Sub=28,
           Squeeze=30, LeakyRelu=75)
SAME, VALID = 0, 1
ACT_NONE, ACT_RELU, ACT_RELU6 = 0, 1, 3
ESIZE = {FLOAT32: 4, INT32: 4, INT64: 8, INT16: 2, INT8: 1}
PACK = {FLOAT32: 'f', INT32: 'i', INT64: 'q', INT16: 'h', INT8: 'b'}


class T:
    """A tensor: shape, type, values (a constant) or None, quantization."""

    def __init__(self, shape, type=INT8, data=None, scale=None, zp=None, qdim=0, name="",
                 raw=None, minmax=None, variable=False, sparse=False):
        self.shape, self.type, self.name = list(shape), type, name
        self.scale, self.zp, self.qdim, self.minmax = scale, zp, qdim, minmax
        self.variable, self.sparse = variable, sparse
        if raw is None and data is not None:
            raw = struct.pack('<%d%s' % (len(data), PACK[type]), *data)
        self.raw = raw  # the buffer's bytes, or None


class Op:
    """An operator: its opcode index, tensor indices, builtin options as
    [(field id, kind, value)] with kind 'b' (byte), 'i' (int32), 'f' (float),
    'iv' (vector of int32)."""

    def __init__(self, opcode, ins, outs, opt_type=0, opts=(), custom_options=None):
        self.opcode, self.ins, self.outs = opcode, list(ins), list(outs)
        self.opt_type, self.opts, self.custom_options = opt_type, list(opts), custom_options


class Built:
    """A model's bytes and where its parts are (file offsets)."""

    def __init__(self):
        self.pos = {}

    def at(self, name):
        return self.pos[name]


def model(opcodes, tensors, ops, inputs, outputs, version=3, nsubgraphs=1,
          external_buffers=False, description="quantc fuzz seed"):
    """opcodes: [code or (code, custom_code, version)].  Every subgraph is the
    same one (nsubgraphs > 1 only to test refusal).  external_buffers: the
    constant data goes after the FlatBuffer, found by Buffer.offset/size (the
    format of models over 2 GB).  Returns a Built with .data (bytes) and
    .pos: 'root', 'tensor<i>', 'op<i>', 'shape<i>', 'name<i>', 'buffer<i>',
    'data<i>', 'quant<i>', 'scale<i>', 'opcodes', 'tensors', 'ops'."""
    b = flatbuffers.Builder(1024)
    marks = {}  # name -> builder offset (from the end)

    def ivec(vals, esize=4, fmt='i', align=None):
        b.StartVector(esize, len(vals), align or esize)
        for v in reversed(vals):
            {'i': b.PrependInt32, 'q': b.PrependInt64, 'f': b.PrependFloat32,
             'B': b.PrependUint8}[fmt](v)
        return b.EndVector()

    def tvec(offs):
        b.StartVector(4, len(offs), 4)
        for o in reversed(offs):
            b.PrependUOffsetTRelative(o)
        return b.EndVector()

    # buffers: 0 is the empty one; then one per constant tensor
    bufs = [None]
    tbuf = []
    for t in tensors:
        if t.raw is not None:
            bufs.append(t.raw)
            tbuf.append(len(bufs) - 1)
        else:
            tbuf.append(0)
    ext = []  # (buffer index, bytes) placed after the FlatBuffer
    buf_offs = []
    for i, raw in enumerate(bufs):
        dv = None
        if raw is not None and not external_buffers:
            b.StartVector(1, len(raw), 16)  # schema: force_align 16
            for byte in reversed(raw):
                b.PrependUint8(byte)
            dv = b.EndVector()
            marks['data%d' % i] = dv
        b.StartObject(3)
        if dv is not None:
            b.PrependUOffsetTRelativeSlot(0, dv, 0)
        if raw is not None and external_buffers:
            ext.append((i, raw))
            # placeholders, patched once the FlatBuffer's size is known
            b.ForceDefaults(True)
            b.PrependUint64Slot(1, 1, 0)
            b.PrependUint64Slot(2, len(raw), 0)
            b.ForceDefaults(False)
        buf_offs.append(b.EndObject())
        marks['buffer%d' % i] = buf_offs[-1]

    def subgraph(k):
        toffs = []
        for i, t in enumerate(tensors):
            name = b.CreateString(t.name or 't%d' % i)
            marks['name%d' % i] = name
            shape = ivec(t.shape)
            marks['shape%d' % i] = shape
            q = None
            if t.scale is not None or t.minmax is not None:
                sv = ivec([float(s) for s in t.scale], 4, 'f') if t.scale is not None else None
                if sv is not None:
                    marks['scale%d' % i] = sv
                zv = ivec(t.zp if t.zp is not None else [0] * len(t.scale), 8, 'q') \
                    if t.scale is not None else None
                mn = ivec([t.minmax[0]], 4, 'f') if t.minmax else None
                mx = ivec([t.minmax[1]], 4, 'f') if t.minmax else None
                b.StartObject(7)
                if mn is not None:
                    b.PrependUOffsetTRelativeSlot(0, mn, 0)
                    b.PrependUOffsetTRelativeSlot(1, mx, 0)
                if sv is not None:
                    b.PrependUOffsetTRelativeSlot(2, sv, 0)
                    b.PrependUOffsetTRelativeSlot(3, zv, 0)
                b.PrependInt32Slot(6, t.qdim, 0)
                q = b.EndObject()
                marks['quant%d' % i] = q
            sp = None
            if t.sparse:
                # SparsityParameters { traversal_order:[int]; block_map:[int]; dim_metadata }
                order = ivec(list(range(len(t.shape))))
                b.StartObject(3)
                b.PrependUOffsetTRelativeSlot(0, order, 0)
                sp = b.EndObject()
            b.StartObject(10)
            b.PrependUOffsetTRelativeSlot(0, shape, 0)
            b.PrependInt8Slot(1, t.type, 0)
            b.PrependUint32Slot(2, tbuf[i], 0)
            b.PrependUOffsetTRelativeSlot(3, name, 0)
            if q is not None:
                b.PrependUOffsetTRelativeSlot(4, q, 0)
            b.PrependBoolSlot(5, t.variable, False)
            if sp is not None:
                b.PrependUOffsetTRelativeSlot(6, sp, 0)
            toffs.append(b.EndObject())
            marks['tensor%d' % i] = toffs[-1]
        tv = tvec(toffs)
        marks['tensors'] = tv
        ooffs = []
        for i, op in enumerate(ops):
            iv, ov = ivec(op.ins), ivec(op.outs)
            marks['opins%d' % i] = iv
            opt = None
            if op.opt_type:
                vecs = {f: ivec(v) for f, kind, v in op.opts if kind == 'iv'}
                b.StartObject(1 + max([f for f, _, _ in op.opts] + [0]))
                for f, kind, v in op.opts:
                    if kind == 'b':
                        b.PrependInt8Slot(f, v, 0)
                    elif kind == 'i':
                        b.PrependInt32Slot(f, v, 0)
                    elif kind == 'f':
                        b.PrependFloat32Slot(f, v, 0.0)
                    else:
                        b.PrependUOffsetTRelativeSlot(f, vecs[f], 0)
                opt = b.EndObject()
                marks['opt%d' % i] = opt
            co = ivec(list(op.custom_options), 1, 'B') if op.custom_options else None
            b.StartObject(9)
            b.PrependUint32Slot(0, op.opcode, 0)
            b.PrependUOffsetTRelativeSlot(1, iv, 0)
            b.PrependUOffsetTRelativeSlot(2, ov, 0)
            if opt is not None:
                b.PrependUint8Slot(3, op.opt_type, 0)
                b.PrependUOffsetTRelativeSlot(4, opt, 0)
            if co is not None:
                b.PrependUOffsetTRelativeSlot(5, co, 0)
            ooffs.append(b.EndObject())
            marks['op%d' % i] = ooffs[-1]
        ov = tvec(ooffs)
        marks['ops'] = ov
        ins, outs = ivec(inputs), ivec(outputs)
        name = b.CreateString('main' if k == 0 else 'sub%d' % k)
        b.StartObject(5)
        b.PrependUOffsetTRelativeSlot(0, tv, 0)
        b.PrependUOffsetTRelativeSlot(1, ins, 0)
        b.PrependUOffsetTRelativeSlot(2, outs, 0)
        b.PrependUOffsetTRelativeSlot(3, ov, 0)
        b.PrependUOffsetTRelativeSlot(4, name, 0)
        return b.EndObject()

    sgs = [subgraph(k) for k in range(nsubgraphs)]
    sgv = tvec(sgs)
    bv = tvec(buf_offs)
    ocs = []
    for oc in opcodes:
        code, custom, ver = (oc, None, 1) if isinstance(oc, int) else oc
        cs = b.CreateString(custom) if custom else None
        b.StartObject(4)
        b.PrependInt8Slot(0, min(code, 127), 0)
        if cs is not None:
            b.PrependUOffsetTRelativeSlot(1, cs, 0)
        b.PrependInt32Slot(2, ver, 1)
        b.PrependInt32Slot(3, code, 0)
        ocs.append(b.EndObject())
    ocv = tvec(ocs)
    marks['opcodes'] = ocv
    desc = b.CreateString(description)
    b.StartObject(8)
    b.ForceDefaults(True)
    b.PrependUint32Slot(0, version, 0)
    b.ForceDefaults(False)
    b.PrependUOffsetTRelativeSlot(1, ocv, 0)
    b.PrependUOffsetTRelativeSlot(2, sgv, 0)
    b.PrependUOffsetTRelativeSlot(3, desc, 0)
    b.PrependUOffsetTRelativeSlot(4, bv, 0)
    root = b.EndObject()
    marks['root'] = root
    b.Finish(root, file_identifier=b'TFL3')
    data = bytearray(b.Output())
    r = Built()
    for k, off in marks.items():
        r.pos[k] = len(data) - off
    if ext:
        # data after the FlatBuffer, 16-aligned; patch each Buffer's offset
        for i, raw in ext:
            data += bytes(-len(data) % 16)
            p = r.pos['buffer%d' % i]
            f = field_pos(data, p, 1)
            struct.pack_into('<Q', data, f, len(data))
            data += raw
    r.data = bytes(data)
    return r


def field_pos(data, table, fid):
    """The file position of field fid of the table at `table` (0: absent)."""
    vt = table - struct.unpack_from('<i', data, table)[0]
    vlen = struct.unpack_from('<H', data, vt)[0]
    if 4 + 2 * fid >= vlen:
        return 0
    o = struct.unpack_from('<H', data, vt + 4 + 2 * fid)[0]
    return table + o if o else 0


# ---- small helpers for quantized models
def qi8(n, seed):
    """n int8 values, deterministic"""
    return [((i * 37 + seed * 11) % 255) - 127 for i in range(n)]


def numel(shape):
    return math.prod(shape)


def conv_int8():
    # CONV_2D int8, per-channel weights (3 output channels), SAME, stride 1, relu
    s_in, s_out, ws = 0.05, 0.1, [0.01, 0.02, 0.005]
    return model([(OPS['CONV_2D'], None, 3)], [
        T([1, 5, 5, 2], INT8, scale=[s_in], zp=[-3], name='input'),
        T([3, 3, 3, 2], INT8, qi8(54, 1), scale=ws, zp=[0, 0, 0], qdim=0, name='w'),
        T([3], INT32, [100, -50, 7], scale=[s_in * w for w in ws], zp=[0, 0, 0], name='b'),
        T([1, 5, 5, 3], INT8, scale=[s_out], zp=[-128], name='output'),
    ], [Op(0, [0, 1, 2], [3], OPT['Conv2D'],
           [(0, 'b', SAME), (1, 'i', 1), (2, 'i', 1), (3, 'b', ACT_RELU)])], [0], [3])


def conv_stride_float():
    # CONV_2D float, VALID, stride 2, dilation 1, relu6, no bias
    return model([OPS['CONV_2D']], [
        T([1, 6, 6, 1], FLOAT32),
        T([2, 2, 2, 1], FLOAT32, [0.5, -0.25, 1, 2, -1, 0.125, 0.75, 0.3]),
        T([1, 3, 3, 2], FLOAT32),
    ], [Op(0, [0, 1, -1], [2], OPT['Conv2D'],
           [(0, 'b', VALID), (1, 'i', 2), (2, 'i', 2), (3, 'b', ACT_RELU6),
            (4, 'i', 1), (5, 'i', 1)])], [0], [2])


def fc_float():
    return model([OPS['FULLY_CONNECTED']], [
        T([1, 8], FLOAT32, name='x'),
        T([4, 8], FLOAT32, [((i * 7) % 11 - 5) / 8 for i in range(32)]),
        T([4], FLOAT32, [0.5, -0.5, 0.25, 0]),
        T([1, 4], FLOAT32, name='y'),
    ], [Op(0, [0, 1, 2], [3], OPT['FullyConnected'], [(0, 'b', ACT_NONE), (2, 'b', 0)])],
        [0], [3])


def fc_int8_keepdims():
    # FULLY_CONNECTED int8, per-tensor weights, keep_num_dims on a 3-d input
    return model([(OPS['FULLY_CONNECTED'], None, 4)], [
        T([1, 2, 6], INT8, scale=[0.1], zp=[5]),
        T([3, 6], INT8, qi8(18, 2), scale=[0.02], zp=[0]),
        T([3], INT32, [10, 20, -30], scale=[0.002], zp=[0]),
        T([1, 2, 3], INT8, scale=[0.2], zp=[-1]),
    ], [Op(0, [0, 1, 2], [3], OPT['FullyConnected'], [(0, 'b', ACT_RELU), (2, 'b', 1)])],
        [0], [3])


def add_broadcast():
    # ADD int8 with a [1,1,1,3] constant broadcast over [1,2,2,3], relu6
    return model([(OPS['ADD'], None, 2)], [
        T([1, 2, 2, 3], INT8, scale=[0.05], zp=[2]),
        T([1, 1, 1, 3], INT8, [10, -20, 30], scale=[0.03], zp=[-1]),
        T([1, 2, 2, 3], INT8, scale=[0.07], zp=[-5]),
    ], [Op(0, [0, 1], [2], OPT['Add'], [(0, 'b', ACT_RELU6)])], [0], [2])


def mul_sub():
    # MUL then SUB, int8, both operands of SUB run-time
    return model([OPS['MUL'], OPS['SUB']], [
        T([1, 4], INT8, scale=[0.1], zp=[0]),
        T([1, 4], INT8, scale=[0.1], zp=[3]),
        T([1, 4], INT8, scale=[0.2], zp=[-2]),
        T([1, 4], INT8, scale=[0.3], zp=[1]),
    ], [Op(0, [0, 1], [2], OPT['Mul'], [(0, 'b', ACT_NONE)]),
        Op(1, [2, 0], [3], OPT['Sub'], [(0, 'b', ACT_RELU)])], [0, 1], [3])


def dwconv_int8():
    # DEPTHWISE_CONV_2D int8, depth multiplier 2, per-channel over dim 3, VALID
    ws = [0.01, 0.02, 0.03, 0.04]
    return model([(OPS['DEPTHWISE_CONV_2D'], None, 3)], [
        T([1, 4, 4, 2], INT8, scale=[0.05], zp=[0]),
        T([1, 3, 3, 4], INT8, qi8(36, 3), scale=ws, zp=[0] * 4, qdim=3),
        T([4], INT32, [1, 2, 3, 4], scale=[0.05 * w for w in ws], zp=[0] * 4),
        T([1, 2, 2, 4], INT8, scale=[0.1], zp=[-7]),
    ], [Op(0, [0, 1, 2], [3], OPT['DepthwiseConv2D'],
           [(0, 'b', VALID), (1, 'i', 1), (2, 'i', 1), (3, 'i', 2), (4, 'b', ACT_NONE)])],
        [0], [3])


def softmax_int8():
    return model([OPS['SOFTMAX']], [
        T([1, 10], INT8, scale=[0.125], zp=[10]),
        T([1, 10], INT8, scale=[1 / 256], zp=[-128]),
    ], [Op(0, [0], [1], OPT['Softmax'], [(0, 'f', 1.0)])], [0], [1])


def pools_int8():
    # AVERAGE_POOL_2D (SAME) then MAX_POOL_2D (VALID, relu)
    return model([OPS['AVERAGE_POOL_2D'], OPS['MAX_POOL_2D']], [
        T([1, 5, 5, 2], INT8, scale=[0.1], zp=[1]),
        T([1, 3, 3, 2], INT8, scale=[0.1], zp=[1]),
        T([1, 1, 1, 2], INT8, scale=[0.1], zp=[1]),
    ], [Op(0, [0], [1], OPT['Pool2D'],
           [(0, 'b', SAME), (1, 'i', 2), (2, 'i', 2), (3, 'i', 3), (4, 'i', 3)]),
        Op(1, [1], [2], OPT['Pool2D'],
           [(0, 'b', VALID), (1, 'i', 1), (2, 'i', 1), (3, 'i', 3), (4, 'i', 3),
            (5, 'b', ACT_RELU)])], [0], [2])


def reshape_squeeze_mean():
    # RESHAPE (new_shape and a shape tensor), MEAN over H,W keep_dims, SQUEEZE
    return model([OPS['RESHAPE'], OPS['MEAN'], OPS['SQUEEZE']], [
        T([1, 12], INT8, scale=[0.1], zp=[0]),
        T([4], INT32, [1, 2, 2, 3]),
        T([1, 2, 2, 3], INT8, scale=[0.1], zp=[0]),
        T([2], INT32, [1, 2]),
        T([1, 1, 1, 3], INT8, scale=[0.05], zp=[0]),
        T([1, 3], INT8, scale=[0.05], zp=[0]),
    ], [Op(0, [0, 1], [2], OPT['Reshape'], [(0, 'iv', [1, 2, 2, 3])]),
        Op(1, [2, 3], [4], OPT['Reducer'], [(0, 'b', 1)]),
        Op(2, [4], [5], OPT['Squeeze'], [(0, 'iv', [1, 2])])], [0], [5])


def pad_concat():
    # PAD (int32 paddings) then CONCATENATION on the channel axis with relu
    return model([OPS['PAD'], OPS['CONCATENATION']], [
        T([1, 2, 2, 1], INT8, scale=[0.1], zp=[-4]),
        T([4, 2], INT32, [0, 0, 1, 1, 0, 2, 0, 0]),
        T([1, 4, 4, 1], INT8, scale=[0.1], zp=[-4]),
        T([1, 4, 4, 2], INT8, scale=[0.1], zp=[-4]),
        T([1, 4, 4, 3], INT8, scale=[0.1], zp=[-4]),
    ], [Op(0, [0, 1], [2], OPT['Pad'], []),
        Op(1, [2, 3], [4], OPT['Concatenation'], [(0, 'i', 3), (1, 'b', ACT_RELU)])],
        [0, 3], [4])


def activations_int8():
    # LOGISTIC, TANH, RELU, RELU6, HARD_SWISH, LEAKY_RELU in a chain
    codes = ['LOGISTIC', 'TANH', 'RELU', 'RELU6', 'HARD_SWISH', 'LEAKY_RELU']
    qs = [(0.05, 0), (1 / 256, -128), (1 / 128, 0), (1 / 128, -128), (0.02, -128),
          (0.02, 0), (0.01, 5)]
    ts = [T([1, 8], INT8, scale=[s], zp=[z]) for s, z in qs]
    ops = []
    for i, c in enumerate(codes):
        if c == 'LEAKY_RELU':
            ops.append(Op(i, [i], [i + 1], OPT['LeakyRelu'], [(0, 'f', 0.2)]))
        else:
            ops.append(Op(i, [i], [i + 1]))
    return model([OPS[c] for c in codes], ts, ops, [0], [len(codes)])


def quant_dequant():
    # float in, QUANTIZE to int8, RELU, DEQUANTIZE to float
    return model([OPS['QUANTIZE'], OPS['RELU'], OPS['DEQUANTIZE']], [
        T([2, 3], FLOAT32),
        T([2, 3], INT8, scale=[0.02], zp=[-10]),
        T([2, 3], INT8, scale=[0.02], zp=[-10]),
        T([2, 3], FLOAT32),
    ], [Op(0, [0], [1]), Op(1, [1], [2]), Op(2, [2], [3])], [0], [3])


def conv_int16x8():
    # int16 activations, int8 weights, int64 bias (TFLite's 16x8 scheme)
    return model([(OPS['CONV_2D'], None, 4)], [
        T([1, 3, 3, 1], INT16, scale=[0.001], zp=[0]),
        T([2, 1, 1, 1], INT8, [64, -90], scale=[0.01, 0.02], zp=[0, 0], qdim=0),
        T([2], INT64, [1000, -1000], scale=[0.00001, 0.00002], zp=[0, 0]),
        T([1, 3, 3, 2], INT16, scale=[0.002], zp=[0]),
    ], [Op(0, [0, 1, 2], [3], OPT['Conv2D'],
           [(0, 'b', SAME), (1, 'i', 1), (2, 'i', 1), (3, 'b', ACT_NONE)])], [0], [3])


def float_minmax():
    # a float model with fake-quant min/max on its activations
    return model([OPS['ADD']], [
        T([1, 3], FLOAT32, minmax=(-1, 1)),
        T([1, 3], FLOAT32, [0.5, 0.25, -0.5], minmax=(-0.5, 0.5)),
        T([1, 3], FLOAT32, minmax=(-1.5, 1.5)),
    ], [Op(0, [0, 1], [2], OPT['Add'], [(0, 'b', ACT_NONE)])], [0], [2])


def external_buffers():
    # the weights after the FlatBuffer, by Buffer.offset/size
    return model([OPS['FULLY_CONNECTED']], [
        T([1, 4], FLOAT32),
        T([2, 4], FLOAT32, [1, 2, 3, 4, -1, -2, -3, -4]),
        T([1, 2], FLOAT32),
    ], [Op(0, [0, 1, -1], [2], OPT['FullyConnected'], [(0, 'b', ACT_NONE)])], [0], [2],
        external_buffers=True)


def custom_op():
    # a CUSTOM operator with custom options beside a RELU (refused by name)
    return model([OPS['RELU'], (OPS['CUSTOM'], 'MyFancyOp', 1)], [
        T([1, 4], FLOAT32), T([1, 4], FLOAT32), T([1, 4], FLOAT32),
    ], [Op(0, [0], [1]), Op(1, [1], [2], custom_options=b'\x01\x02\x03')], [0], [2])


def two_subgraphs():
    return model([OPS['RELU']], [T([1, 4], FLOAT32), T([1, 4], FLOAT32)],
                 [Op(0, [0], [1])], [0], [1], nsubgraphs=2)


def variable_sparse():
    return model([OPS['ADD']], [
        T([1, 4], FLOAT32),
        T([1, 4], FLOAT32, variable=True),
        T([4, 4], FLOAT32, [0.0] * 16, sparse=True),
        T([1, 4], FLOAT32),
    ], [Op(0, [0, 1], [3], OPT['Add'], [(0, 'b', ACT_NONE)])], [0], [3])


SEEDS = dict(conv_int8=conv_int8, conv_stride_float=conv_stride_float, fc_float=fc_float,
             fc_int8_keepdims=fc_int8_keepdims, add_broadcast=add_broadcast, mul_sub=mul_sub,
             dwconv_int8=dwconv_int8, softmax_int8=softmax_int8, pools_int8=pools_int8,
             reshape_squeeze_mean=reshape_squeeze_mean, pad_concat=pad_concat,
             activations_int8=activations_int8, quant_dequant=quant_dequant,
             conv_int16x8=conv_int16x8, float_minmax=float_minmax,
             external_buffers=external_buffers, custom_op=custom_op,
             two_subgraphs=two_subgraphs, variable_sparse=variable_sparse)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, f in SEEDS.items():
        data = f().data
        assert len(data) < 2048, (name, len(data))
        with open(os.path.join(out, name + '.tflite'), 'wb') as fh:
            fh.write(data)


if __name__ == '__main__':
    main()
