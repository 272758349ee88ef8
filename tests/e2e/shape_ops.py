# shape_ops.py DIR — the ONNX models of tests/e2e/shape_ops.sh: one small
# model per case of Slice, Split, Gather, Expand, Tile, DepthToSpace,
# SpaceToDepth and Resize on a run-time tensor, with its input
# (DIR/NAME_x.npy: 2 samples) and, where NumPy computes it, its reference
# (DIR/NAME_ref.npy); the Resize cases are referenced by onnxruntime.
# DIR/cases.txt lists "NAME numpy|ort", one case a line.
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h

out = sys.argv[1]
rng = np.random.default_rng(18)
cases = []
BIG = 2**63 - 1


def ints(name, v):
    return h.make_tensor(name, T.INT64, [len(v)], list(v))


def save(name, nodes, inits, shape, ref, opset=13, extra_out=None):
    """Writes NAME.onnx (input x of shape, output y), its 2 samples and, if
    ref is a function of one sample, the reference."""
    x = h.make_tensor_value_info("x", T.FLOAT, shape)
    y = h.make_tensor_value_info("y", T.FLOAT, None)
    g = h.make_graph(nodes, name, [x], [y], inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    onnx.save(m, f"{out}/{name}.onnx")
    xs = rng.uniform(-4, 3, size=[2] + shape[1:]).astype(np.float32)
    np.save(f"{out}/{name}_x.npy", xs)
    if ref is None:
        cases.append(f"{name} ort")
        return
    ys = np.stack([np.ascontiguousarray(ref(s[None]))[0] for s in xs])
    np.save(f"{out}/{name}_ref.npy", ys)
    cases.append(f"{name} numpy")


def slice_case(name, shape, starts, ends, axes, steps, ref, opset=13):
    ins, inits = ["x", "st", "en"], [ints("st", starts), ints("en", ends)]
    if axes is not None:
        ins.append("ax")
        inits.append(ints("ax", axes))
    if steps is not None:
        ins.append("sp")
        inits.append(ints("sp", steps))
    save(name, [h.make_node("Slice", ins, ["y"])], inits, shape, ref, opset)


# Slice: negative starts and ends, clamping, negative steps, several axes
slice_case("slice_neg_step", [1, 4, 6, 5], [1, -1], [100, -100], [1, 2], [1, -2],
           lambda x: x[:, 1:, ::-2])
slice_case("slice_neg_axis", [1, 4, 6, 5], [-3], [-1], [-1], None, lambda x: x[..., -3:-1])
slice_case("slice_no_axes", [1, 4, 6, 5], [0, 1, 1, 2], [1, 3, 5, 4], None, None,
           lambda x: x[:1, 1:3, 1:5, 2:4], opset=11)
slice_case("slice_big_steps", [1, 4, 7, 5], [0, 1], [BIG, BIG], [2, 3], [3, 2],
           lambda x: x[:, :, ::3, 1::2])
slice_case("slice_reverse", [1, 4, 6, 5], [100, BIG], [-BIG - 1, -BIG - 1], [3, 1], [-1, -1],
           lambda x: x[:, ::-1, :, ::-1])
slice_case("slice_step3_back", [1, 4, 6, 5], [4, -2], [0, -6], [3, 2], [-3, -1],
           lambda x: x[:, :, 4:0:-1, 4:0:-3])

# Split (opset 13: sizes as input; 11: the attribute; none: equal parts),
# the parts concatenated in reverse order (a channel shuffle, as chunk in
# shufflenet)
def split_case(name, shape, axis, sizes, nout, ref, opset=13):
    ins, inits, attrs = ["x"], [], {"axis": axis}
    if sizes is not None and opset >= 13:
        ins.append("s")
        inits.append(ints("s", sizes))
    elif sizes is not None:
        attrs["split"] = sizes
    parts = [f"p{k}" for k in range(nout)]
    nodes = [h.make_node("Split", ins, parts, **attrs),
             h.make_node("Concat", parts[::-1], ["y"], axis=axis)]
    save(name, nodes, inits, shape, ref, opset)


split_case("split_input", [1, 4, 3, 3], 1, [1, 3], 2,
           lambda x: np.concatenate([x[:, 1:], x[:, :1]], 1))
split_case("split_attr", [1, 2, 3, 6], -1, [2, 1, 3], 3,
           lambda x: np.concatenate([x[..., 3:], x[..., 2:3], x[..., :2]], -1), opset=11)
split_case("split_equal", [1, 6, 2, 2], 1, None, 3,
           lambda x: np.concatenate([x[:, 4:], x[:, 2:4], x[:, :2]], 1))

# Gather: tensor, scalar and 2-D indices, negative ones, any axis
def gather_case(name, shape, axis, idx, ref):
    t = h.make_tensor("i", T.INT64, list(np.shape(idx)), list(np.ravel(idx)))
    save(name, [h.make_node("Gather", ["x", "i"], ["y"], axis=axis)], [t], shape, ref)


gather_case("gather_1d", [1, 5, 3, 2], 1, [2, 0, -1, 2], lambda x: x[:, [2, 0, 4, 2]])
gather_case("gather_scalar", [1, 3, 4, 6], -1, 2, lambda x: x[..., 2])
gather_case("gather_2d", [1, 3, 5, 2], 2, [[0, 1], [-1, 2], [4, 4]],
            lambda x: x[:, :, np.array([[0, 1], [4, 2], [4, 4]])])

# Expand (two-way broadcast) and Tile
def expand_case(name, shape, target, ref):
    save(name, [h.make_node("Expand", ["x", "s"], ["y"])], [ints("s", target)], shape, ref)


expand_case("expand_both", [1, 3, 1], [3, 4], lambda x: np.broadcast_to(x, [1, 3, 4]))
expand_case("expand_rank", [1, 1, 5], [1, 4, 2, 1, 5],
            lambda x: np.broadcast_to(x, [1, 4, 2, 1, 5]))
expand_case("expand_same", [1, 3, 4], [1, 1], lambda x: x)


def tile_case(name, shape, reps):
    save(name, [h.make_node("Tile", ["x", "r"], ["y"])], [ints("r", reps)], shape,
         lambda x: np.tile(x, reps))


tile_case("tile_two", [1, 2, 3], [1, 2, 3])
tile_case("tile_one", [1, 2, 2, 3], [1, 1, 2, 1])

# DepthToSpace (DCR, CRD) and SpaceToDepth as the specification defines them
def d2s(x, b, crd):
    n, c, hh, w = x.shape
    if crd:
        t = x.reshape(n, c // (b * b), b, b, hh, w).transpose(0, 1, 4, 2, 5, 3)
    else:
        t = x.reshape(n, b, b, c // (b * b), hh, w).transpose(0, 3, 4, 1, 5, 2)
    return t.reshape(n, c // (b * b), hh * b, w * b)


def s2d(x, b):
    n, c, hh, w = x.shape
    t = x.reshape(n, c, hh // b, b, w // b, b).transpose(0, 3, 5, 1, 2, 4)
    return t.reshape(n, c * b * b, hh // b, w // b)


save("d2s_dcr", [h.make_node("DepthToSpace", ["x"], ["y"], blocksize=2)], [], [1, 8, 2, 3],
     lambda x: d2s(x, 2, False))
save("d2s_crd", [h.make_node("DepthToSpace", ["x"], ["y"], blocksize=2, mode="CRD")], [],
     [1, 8, 2, 3], lambda x: d2s(x, 2, True))
save("s2d", [h.make_node("SpaceToDepth", ["x"], ["y"], blocksize=2)], [], [1, 2, 4, 6],
     lambda x: s2d(x, 2))

# Resize: every coordinate transformation and nearest rounding, scales and
# sizes, up and down (onnxruntime is the reference)
def resize_case(name, shape, mode, coord, nearest="round_prefer_floor", scales=None,
                sizes=None):
    ins, inits = ["x", "roi"], [h.make_tensor("roi", T.FLOAT, [0], [])]
    if scales is not None:
        ins.append("sc")
        inits.append(h.make_tensor("sc", T.FLOAT, [len(scales)], scales))
    else:
        ins += ["", "sz"]
        inits.append(ints("sz", sizes))
    n = h.make_node("Resize", ins, ["y"], mode=mode, coordinate_transformation_mode=coord,
                    nearest_mode=nearest)
    save(name, [n], inits, shape, None)


resize_case("rs_nn_asym_floor", [1, 2, 3, 4], "nearest", "asymmetric", "floor",
            scales=[1, 1, 2, 2])
resize_case("rs_nn_half_down", [1, 2, 6, 7], "nearest", "half_pixel", scales=[1, 1, 0.5, 0.75])
resize_case("rs_nn_half_up", [1, 2, 3, 4], "nearest", "half_pixel", scales=[1, 1, 3, 2.5])
resize_case("rs_nn_align_ceil", [1, 2, 3, 4], "nearest", "align_corners", "round_prefer_ceil",
            sizes=[1, 2, 7, 5])
resize_case("rs_nn_pytorch_ceil", [1, 2, 5, 4], "nearest", "pytorch_half_pixel", "ceil",
            sizes=[1, 2, 3, 1])
resize_case("rs_nn_tf_floor", [1, 2, 3, 4], "nearest", "tf_half_pixel_for_nn", "floor",
            scales=[1, 1, 1.5, 2])
resize_case("rs_nn_channels", [1, 3, 2, 2], "nearest", "asymmetric", "floor",
            scales=[1, 2, 2, 1])
resize_case("rs_lin_half", [1, 2, 3, 4], "linear", "half_pixel", scales=[1, 1, 2, 2])
resize_case("rs_lin_pytorch", [1, 2, 3, 4], "linear", "pytorch_half_pixel", sizes=[1, 2, 5, 1])
resize_case("rs_lin_align", [1, 2, 3, 4], "linear", "align_corners", sizes=[1, 2, 7, 9])
resize_case("rs_lin_asym", [1, 2, 4, 5], "linear", "asymmetric", scales=[1, 1, 1.5, 0.6])
resize_case("rs_lin_down", [1, 2, 5, 7], "linear", "half_pixel", sizes=[1, 2, 2, 3])

with open(f"{out}/cases.txt", "w") as f:
    f.write("\n".join(cases) + "\n")
