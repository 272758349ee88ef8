#!/usr/bin/python3
# make_tflite_cases.py — writes the small .tflite files of
# tests/e2e/tflite/ that quantc's TFLite importer must refuse, one per kind
# of refusal (docs/tflite.md, "What is refused"), each with a .err file: the
# messages (one per line, substrings) that `quantc compile` must print.
# Built with python3-flatbuffers' Builder from the field order of TFLite's
# schema (version 3).  tests/e2e/tflite_import.sh runs them.
#   usage: make_tflite_cases.py [DIR]   (default: the tflite/ folder beside it)
import os
import struct
import sys

import flatbuffers

FLOAT32, FLOAT16, INT8 = 0, 1, 9
ADD, RELU, SOFTMAX, LSTM = 0, 19, 25, 16
ADD_OPTIONS, SOFTMAX_OPTIONS = 11, 9
TANH = 4


def vec_int32(b, xs):
    b.StartVector(4, len(xs), 4)
    for x in reversed(xs):
        b.PrependInt32(x)
    return b.EndVector()


def vec_tables(b, xs):
    b.StartVector(4, len(xs), 4)
    for x in reversed(xs):
        b.PrependUOffsetTRelative(x)
    return b.EndVector()


def tensor(b, name, shape, ttype=FLOAT32, variable=False, sparse=False):
    n = b.CreateString(name)
    s = vec_int32(b, shape)
    sp = None
    if sparse:
        order = vec_int32(b, list(range(len(shape))))
        b.StartObject(3)  # SparsityParameters
        b.PrependUOffsetTRelativeSlot(0, order, 0)
        sp = b.EndObject()
    b.StartObject(8)  # Tensor
    b.PrependUOffsetTRelativeSlot(0, s, 0)
    b.PrependInt8Slot(1, ttype, 0)
    b.PrependUint32Slot(2, 0, 0)
    b.PrependUOffsetTRelativeSlot(3, n, 0)
    if variable:
        b.PrependBoolSlot(5, True, False)
    if sp is not None:
        b.PrependUOffsetTRelativeSlot(6, sp, 0)
    return b.EndObject()


def options(b, kind, fields):
    """An options table: fields is a list of (slot, 'b'|'f', value)."""
    b.StartObject(4)
    for slot, t, v in fields:
        if t == "b":
            b.PrependInt8Slot(slot, v, 0)
        else:
            b.PrependFloat32Slot(slot, v, 0.0)
    return b.EndObject()


def operator(b, opcode, ins, outs, opt_type=0, opt=None):
    i = vec_int32(b, ins)
    o = vec_int32(b, outs)
    b.StartObject(9)  # Operator
    b.PrependUint32Slot(0, opcode, 0)
    b.PrependUOffsetTRelativeSlot(1, i, 0)
    b.PrependUOffsetTRelativeSlot(2, o, 0)
    if opt is not None:
        b.PrependUint8Slot(3, opt_type, 0)
        b.PrependUOffsetTRelativeSlot(4, opt, 0)
    return b.EndObject()


def subgraph(b, tensors, ops, ins, outs):
    """tensors: list of tensor() arguments; ops: list of (opcode index,
    inputs, outputs, options type, options fields or None)."""
    ts = [tensor(b, *t[:2], **t[2]) if len(t) > 2 else tensor(b, *t) for t in tensors]
    os_ = []
    for opc, i, o, ot, of in ops:
        opt = options(b, ot, of) if of is not None else None
        os_.append(operator(b, opc, i, o, ot, opt))
    tv = vec_tables(b, ts)
    ov = vec_tables(b, os_)
    iv = vec_int32(b, ins)
    outv = vec_int32(b, outs)
    name = b.CreateString("main")
    b.StartObject(5)  # SubGraph
    b.PrependUOffsetTRelativeSlot(0, tv, 0)
    b.PrependUOffsetTRelativeSlot(1, iv, 0)
    b.PrependUOffsetTRelativeSlot(2, outv, 0)
    b.PrependUOffsetTRelativeSlot(3, ov, 0)
    b.PrependUOffsetTRelativeSlot(4, name, 0)
    return b.EndObject()


def model(codes, graphs):
    """codes: builtin codes; graphs: list of subgraph() argument tuples."""
    b = flatbuffers.Builder(256)
    sgs = [subgraph(b, *g) for g in graphs]
    ocs = []
    for c in codes:
        b.StartObject(4)  # OperatorCode
        b.PrependInt8Slot(0, min(c, 127), 0)
        b.PrependInt32Slot(2, 1, 1)
        b.PrependInt32Slot(3, c, 0)
        ocs.append(b.EndObject())
    b.StartObject(1)  # Buffer 0: the empty buffer every tensor without data names
    buf0 = b.EndObject()
    ocv = vec_tables(b, ocs)
    sgv = vec_tables(b, sgs)
    bv = vec_tables(b, [buf0])
    desc = b.CreateString("quantc refusal case")
    b.StartObject(5)  # Model
    b.PrependUint32Slot(0, 3, 0)
    b.PrependUOffsetTRelativeSlot(1, ocv, 0)
    b.PrependUOffsetTRelativeSlot(2, sgv, 0)
    b.PrependUOffsetTRelativeSlot(3, desc, 0)
    b.PrependUOffsetTRelativeSlot(4, bv, 0)
    root = b.EndObject()
    b.Finish(root, file_identifier=b"TFL3")
    return bytes(b.Output())


def relu_graph(x=("x", [1, 4]), y=("y", [1, 4]), opcode=0):
    return ([x, y], [(opcode, [0], [1], 0, None)], [0], [1])


CASES = {
    # more than one subgraph (control flow calls the others)
    "two_subgraphs": (
        [RELU], [relu_graph(), relu_graph()],
        ["the model has 2 subgraphs"]),
    # a variable tensor (state kept between runs)
    "variable_tensor": (
        [RELU], [relu_graph(x=("x", [1, 4]), y=("y", [1, 4], {"variable": True}))],
        ["tensor 1 ('y') is a variable tensor"]),
    # a sparse tensor
    "sparse_tensor": (
        [RELU], [relu_graph(y=("y", [1, 4], {"sparse": True}))],
        ["tensor 1 ('y') is sparse"]),
    # a type the IR does not have
    "float16_tensor": (
        [RELU], [relu_graph(x=("x", [1, 4], {"ttype": FLOAT16}), y=("y", [1, 4], {"ttype": FLOAT16}))],
        ["tensor 0 ('x') is float16", "tensor 1 ('y') is float16"]),
    # an operator quantc does not import
    "lstm_operator": (
        [LSTM], [relu_graph()],
        ["operator 0 (LSTM, output 'y'): LSTM (builtin code 16) is not supported"]),
    # a fused activation quantc does not have
    "add_tanh": (
        [ADD], [([("a", [1, 4]), ("b", [1, 4]), ("y", [1, 4])],
                 [(0, [0, 1], [2], ADD_OPTIONS, [(0, "b", TANH)])], [0, 1], [2])],
        ["operator 0 (ADD, output 'y'): the fused activation TANH is not supported"]),
    # softmax's beta other than 1
    "softmax_beta": (
        [SOFTMAX], [([("x", [1, 4]), ("y", [1, 4])],
                     [(0, [0], [1], SOFTMAX_OPTIONS, [(0, "f", 0.5)])], [0], [1])],
        ["operator 0 (SOFTMAX, output 'y'): beta 0.5 is not supported"]),
    # every problem at once: each operator's, in one run
    "all_at_once": (
        [LSTM, ADD, SOFTMAX],
        [([("x", [1, 4]), ("h", [1, 4]), ("a", [1, 4]), ("y", [1, 4])],
          [(0, [0], [1], 0, None),
           (1, [1, 1], [2], ADD_OPTIONS, [(0, "b", TANH)]),
           (2, [2], [3], SOFTMAX_OPTIONS, [(0, "f", 2.0)])], [0], [3])],
        ["operator 0 (LSTM, output 'h'): LSTM (builtin code 16) is not supported",
         "operator 1 (ADD, output 'a'): the fused activation TANH is not supported",
         "operator 2 (SOFTMAX, output 'y'): beta 2 is not supported"]),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "tflite")
    os.makedirs(out, exist_ok=True)
    for name, (codes, graphs, errs) in sorted(CASES.items()):
        data = model(codes, graphs)
        with open(os.path.join(out, name + ".tflite"), "wb") as f:
            f.write(data)
        with open(os.path.join(out, name + ".err"), "w") as f:
            f.write("".join(e + "\n" for e in errs))
        print("%s.tflite: %d bytes" % (name, len(data)))


if __name__ == "__main__":
    main()
