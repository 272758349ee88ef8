"""tflite_file.py — the little of a .tflite file (FlatBuffers, TFLite schema
version 3) that the ArmNN reference checks need, read with python3-flatbuffers'
table accessor: subgraph 0's tensors (name, type, shape, quantization, whether
a buffer holds data), operators (builtin name, input and output tensors), its
inputs and outputs; and `with_outputs`, a copy of the file whose subgraph 0
lists other tensors as its outputs (how armnn_run.py reads intermediate
tensors: ArmNN binds subgraph outputs only).

Field ids are the order of the schema's fields (a union takes two ids):
  Model:     version 0, operator_codes 1, subgraphs 2, description 3, buffers 4
  SubGraph:  tensors 0, inputs 1, outputs 2, operators 3, name 4
  Tensor:    shape 0, type 1, buffer 2, name 3, quantization 4
  Quantization: min 0, max 1, scale 2, zero_point 3, .., quantized_dimension 6
  Operator:  opcode_index 0, inputs 1, outputs 2, builtin_options_type 3,
             builtin_options 4
  OperatorCode: deprecated_builtin_code 0 (int8), custom_code 1, version 2,
             builtin_code 3 (int32); the code is the larger of the two
  Buffer:    data 0
"""
import struct

from flatbuffers import number_types as N
from flatbuffers.table import Table

TYPES = {0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 5: "string",
         6: "bool", 7: "int16", 9: "int8", 10: "float64"}
NUMPY = {0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 7: "int16",
         9: "int8", 10: "float64"}
# BuiltinOperator values of the ops these checks meet (others print as BUILTIN_n)
OPS = {0: "ADD", 1: "AVERAGE_POOL_2D", 2: "CONCATENATION", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D",
       6: "DEQUANTIZE", 9: "FULLY_CONNECTED", 14: "LOGISTIC", 17: "MAX_POOL_2D", 18: "MUL",
       19: "RELU", 21: "RELU6", 22: "RESHAPE", 25: "SOFTMAX", 28: "TANH", 34: "PAD",
       40: "MEAN", 41: "SUB", 43: "SQUEEZE", 98: "LEAKY_RELU", 114: "QUANTIZE",
       117: "HARD_SWISH"}


def _field(t, fid):
    """the field's offset inside table t (0: absent)"""
    return t.Offset(4 + 2 * fid)


def _table(t, fid):
    o = _field(t, fid)
    return Table(t.Bytes, t.Indirect(t.Pos + o)) if o else None


def _tables(t, fid):
    o = _field(t, fid)
    if not o:
        return []
    v = t.Vector(o)
    return [Table(t.Bytes, t.Indirect(v + 4 * i)) for i in range(t.VectorLen(o))]


def _scalars(t, fid, flags):
    o = _field(t, fid)
    if not o:
        return []
    return list(t.GetVectorAsNumpy(flags, o))


def _scalar(t, fid, flags, default):
    o = _field(t, fid)
    return t.Get(flags, t.Pos + o) if o else default


def _string(t, fid):
    o = _field(t, fid)
    return t.String(t.Pos + o).decode("utf-8", "replace") if o else ""


class Tensor:
    def __init__(self, index, t, buffers):
        self.index = index
        self.shape = [int(d) for d in _scalars(t, 0, N.Int32Flags)]
        self.type = _scalar(t, 1, N.Int8Flags, 0)
        self.table = t
        self.buffer = buf = _scalar(t, 2, N.Uint32Flags, 0)
        self.name = _string(t, 3)
        q = _table(t, 4)
        self.scale = [float(s) for s in _scalars(q, 2, N.Float32Flags)] if q else []
        self.zero_point = [int(z) for z in _scalars(q, 3, N.Int64Flags)] if q else []
        # a constant: its buffer holds data
        self.constant = buf < len(buffers) and buffers[buf] is not None and \
            _field(buffers[buf], 0) != 0 and buffers[buf].VectorLen(_field(buffers[buf], 0)) > 0

    @property
    def type_name(self):
        return TYPES.get(self.type, f"type{self.type}")

    @property
    def dtype(self):
        return NUMPY[self.type]


class Operator:
    def __init__(self, t, codes):
        self.code = codes[_scalar(t, 0, N.Uint32Flags, 0)]
        self.name = OPS.get(self.code, f"BUILTIN_{self.code}")
        self.inputs = [int(i) for i in _scalars(t, 1, N.Int32Flags)]
        self.outputs = [int(i) for i in _scalars(t, 2, N.Int32Flags)]
        self.table_pos = t.Pos
        self.options = _table(t, 4)

    def option(self, fid, flags=N.Int32Flags, default=0):
        """field fid of the builtin options table (the schema's field order;
        e.g. Conv2DOptions: padding 0 (SAME 0, VALID 1) int8, stride_w 1,
        stride_h 2, fused_activation_function 3 int8, dilation_w 4,
        dilation_h 5)"""
        return _scalar(self.options, fid, flags, default) if self.options else default


class Model:
    """subgraph 0 of a .tflite file"""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = bytearray(f.read())
        root = Table(self.data, struct.unpack_from("<I", self.data, 0)[0])
        codes = [max(_scalar(c, 0, N.Int8Flags, 0), _scalar(c, 3, N.Int32Flags, 0))
                 for c in _tables(root, 1)]
        self.buffers = buffers = _tables(root, 4)
        self.sg = _tables(root, 2)[0]
        self.tensors = [Tensor(i, t, buffers) for i, t in enumerate(_tables(self.sg, 0))]
        self.inputs = [int(i) for i in _scalars(self.sg, 1, N.Int32Flags)]
        self.outputs = [int(i) for i in _scalars(self.sg, 2, N.Int32Flags)]
        self.operators = [Operator(t, codes) for t in _tables(self.sg, 3)]

    def dequantized_weights(self):
        """the file's bytes with every int8 constant that feeds an operator of
        a float model (a "hybrid" model's weights: float activations, int8
        weights, e.g. kws_ref_model_float32.tflite) made float32: each value
        scale * (q - zero_point) (its channel's scale and zero point), in a
        new buffer vector appended at the end (the data 16-aligned), the
        buffer's data field pointed at it and the tensor's type byte patched
        to FLOAT32 in place.  ArmNN 20.08's reference backend runs no hybrid
        operators; this is the float model they stand for."""
        import numpy as np
        out = bytearray(self.data)
        done = {}
        for t in self.tensors:
            if not (t.constant and t.type == 9 and t.scale):
                continue
            if t.buffer in done:
                raise ValueError(f"tensor '{t.name}' shares buffer {t.buffer}")
            b = self.buffers[t.buffer]
            o = _field(b, 0)
            q = np.frombuffer(bytes(self.data[b.Vector(o):b.Vector(o) + b.VectorLen(o)]),
                              dtype=np.int8).reshape(t.shape).astype(np.float64)
            qd = _scalar(_table(t.table, 4), 6, N.Int32Flags, 0)
            bshape = [1] * len(t.shape)
            bshape[qd] = -1
            sc = np.array(t.scale).reshape(bshape if len(t.scale) > 1 else [1])
            zp = np.array(t.zero_point or [0]).reshape(bshape if len(t.zero_point) > 1 else [1])
            f = ((q - zp) * sc).astype("<f4").tobytes()
            out += b"\0" * (-(len(out) + 4) % 16)
            vec = len(out)
            out += struct.pack("<I", len(f)) + f
            field = b.Pos + o
            struct.pack_into("<I", out, field, vec - field)
            to = _field(t.table, 1)
            out[t.table.Pos + to] = 0
            done[t.buffer] = True
        return bytes(out)

    def only_operator(self, k, data=None):
        """the file's bytes (or `data`) reduced to operator k alone: subgraph
        0's operators vector shortened in place to one element that points
        at operator k's table (tables lie after the vector that lists them,
        so the uoffset stays forward), its inputs the operator's tensors
        that no buffer fills (a new int32 vector appended), its outputs the
        operator's.  ArmNN then runs that operator on inputs given from
        outside (armnn_run.Runner)."""
        op = self.operators[k]
        o = _field(self.sg, 3)
        out = bytearray(self.data if data is None else data)
        vec = self.sg.Vector(o)
        target = op.table_pos
        if target <= vec + 4:
            raise ValueError(f"operator {k}'s table lies before the operators vector")
        struct.pack_into("<II", out, vec - 4, 1, target - vec)
        ins = [i for i in op.inputs if i >= 0 and not self.tensors[i].constant]
        out = self._patch_vector(out, 1, ins)
        return self._patch_vector(out, 2, [i for i in op.outputs if i >= 0])

    def _patch_vector(self, out, fid, indices):
        """out with subgraph 0's int32 vector field fid (1 inputs, 2 outputs)
        pointed at a new vector of `indices` appended at the end"""
        o = _field(self.sg, fid)
        if not o:
            raise ValueError(f"subgraph 0 has no field {fid} to patch")
        field = self.sg.Pos + o
        out = bytearray(out)
        out += b"\0" * (-len(out) % 4)
        vec = len(out)
        out += struct.pack(f"<I{len(indices)}i", len(indices), *indices)
        struct.pack_into("<I", out, field, vec - field)
        return bytes(out)

    def with_outputs(self, indices, data=None):
        """the file's bytes (or `data`, this file with bytes appended and
        patched in place by dequantized_weights) with subgraph 0's outputs replaced by `indices`:
        a new int32 vector appended at the end (4-aligned) and the outputs
        field's uoffset (relative to the field, forward) pointed at it.  The
        rest of the file is untouched."""
        return self._patch_vector(self.data if data is None else data, 2, indices)
