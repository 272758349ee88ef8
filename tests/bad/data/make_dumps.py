#!/usr/bin/python3
# make_dumps.py — writes tests/bad's dump_*.qg: hand-edited dumps of a small
# quantized model (what `quantc opt b.qg --passes infer-shapes,fuse-activation,
# propagate-ranges,quantize,check-overflow,plan-memory` prints for the model in
# BASE's comment, tables inline), each with one defect.  Each is a case twice,
# dump_NAME_run.args (`quantc run DUMP --passes ''`) and dump_NAME_compile.args
# (`quantc compile DUMP --passes ''`): both must reject it with the same
# diagnostic.  Run from tests/bad/data; the outputs are committed.
import math
import re

S_TABLE = "-59, -59, -58, -58, -57, -57, -57, -56, -56, -55, -55, -55, -54, -54, -53, -53, -52, -52, -52, -51, -51, -50, -50, -49, -49, -49, -48, -48, -47, -47, -46, -46, -46, -45, -45, -44, -44, -43, -43, -42, -42, -42, -41, -41, -40, -40, -39, -39, -38, -38, -38, -37, -37, -36, -36, -35, -35, -34, -34, -33, -33, -32, -32, -31, -31, -31, -30, -30, -29, -29, -28, -28, -27, -27, -26, -26, -25, -25, -24, -24, -23, -23, -22, -22, -21, -21, -20, -20, -19, -19, -18, -18, -17, -17, -16, -16, -15, -15, -14, -14, -14, -13, -13, -12, -12, -11, -11, -10, -10, -9, -9, -8, -8, -7, -7, -6, -6, -5, -5, -4, -4, -3, -3, -2, -2, -1, -1, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 14, 15, 15, 16, 16, 17, 17, 18, 18, 19, 19, 20, 20, 21, 21, 22, 22, 23, 23, 24, 24, 25, 25, 26, 26, 27, 27, 28, 28, 29, 29, 30, 30, 31, 31, 31, 32, 32, 33, 33, 34, 34, 35, 35, 36, 36, 37, 37, 38, 38, 38, 39, 39, 40, 40, 41, 41, 42, 42, 42, 43, 43, 44, 44, 45, 45, 46, 46, 46, 47, 47, 48, 48, 49, 49, 49, 50, 50, 51, 51, 52, 52, 52, 53, 53, 54, 54, 55, 55, 55, 56, 56, 57, 57, 57, 58, 58, 59, 59, 59"
Y_TABLE = "1048576, 1044488, 1040416, 1036360, 1032319, 1028295, 1024286, 1020292, 1016315, 1012352, 1008406, 1004474, 1000558, 996657, 992772, 988901, 985046, 981206, 977380, 973570, 969774, 965993, 962227, 958476, 954739, 951017, 947309, 943616, 939937, 936273, 932623, 928987, 925365, 921757, 918164, 914584, 911019, 907467, 903929, 900405, 896895, 893398, 889915, 886445, 882990, 879547, 876118, 872702, 869300, 865911, 862535, 859172, 855823, 852486, 849163, 845852, 842554, 839270, 835998, 832738, 829492, 826258, 823037, 819828, 816632, 813448, 810277, 807118, 803971, 800837, 797715, 794605, 791507, 788421, 785347, 782285, 779236, 776198, 773171, 770157, 767155, 764164, 761185, 758217, 755261, 752316, 749383, 746462, 743552, 740653, 737765, 734889, 732024, 729170, 726327, 723496, 720675, 717865, 715067, 712279, 709502, 706736, 703981, 701236, 698502, 695779, 693066, 690364, 687673, 684992, 682321, 679661, 677012, 674372, 671743, 669124, 666515, 663917, 661329, 658750, 656182, 653624, 651076, 648537, 646009, 643490, 640982, 638483, 635993, 633514, 631044, 628584, 626133, 623692, 621261, 618839, 616426, 614023, 611629, 609244, 606869, 604503, 602147, 599799, 597461, 595131, 592811, 590500, 588198, 585905, 583620, 581345, 579079, 576821, 574572, 572332, 570101, 567878, 565664, 563459, 561262, 559074, 556895, 554723, 552561, 550406, 548261, 546123, 543994, 541873, 539761, 537656, 535560, 533472, 531392, 529321, 527257, 525202, 523154, 521114, 519083, 517059, 515043, 513035, 511035, 509043, 507058, 505081, 503112, 501151, 499197, 497251, 495312, 493381, 491458, 489542, 487633, 485732, 483838, 481952, 480073, 478201, 476337, 474480, 472630, 470788, 468952, 467124, 465303, 463489, 461682, 459882, 458089, 456303, 454524, 452752, 450987, 449229, 447477, 445733, 443995, 442264, 440540, 438822, 437112, 435407, 433710, 432019, 430335, 428657, 426986, 425321, 423663, 422011, 420366, 418727, 417095, 415469, 413849, 412235, 410628, 409027, 407433, 405844, 404262, 402686, 401116, 399552, 397995, 396443, 394897, 393358, 391824, 390297, 388775, 387259"
BASE = f"""# {{what}}
# from: conv2d(x, w) -> sigmoid -> clip [0.25, 0.75] -> avgpool2d 2x2 -> flatten -> softmax
model b

input x : i8[1,1,4,4] q(scale=0.00784313772, zp=-1) range [-1, 1] @32

const w : i8[2,1,1,1] q(axis=0, scale=[0.00393700786, 0.00787401572]) = [127, -127]
const s.table : i8[256] = [{S_TABLE}]

c : i8[1,2,4,4] q(scale=0.00784313958, zp=-1) range [-1.00000024, 1.00000024] @0 = conv2d(x, w) {{ stride = [1,1], pad = [0,0,0,0], dilation = [1,1], groups = 1, act = none }}
s : i8[1,2,4,4] q(scale=0.00390625, zp=-128) range [0.268940896, 0.731059551] @0 = sigmoid(c, s.table)
k : i8[1,2,4,4] q(scale=0.00390625, zp=-128) range [0.268940896, 0.731059551] @0 = clip(s) {{ min = 0.25, max = 0.75 }}
p : i8[1,2,2,2] q(scale=0.00390625, zp=-128) range [0.268940687, 0.731059849] @32 = avgpool2d(k) {{ stride = [2,2], pad = [0,0,0,0], kernel = [2,2], count_pad = 0 }}
f : i8[1,8] q(scale=0.00390625, zp=-128) range [0.268940687, 0.731059849] @32 = flatten(p) {{ axis = 1 }}
y : i8[1,8] q(scale=0.00390625, zp=-128) range [0, 1] @0 = softmax(f) {{ axis = 1 }}

output y
"""


def lround(v):  # C's lround of a non-negative double
    return int(math.floor(v + 0.5))


# the same model ending in log_softmax (int8: TFLite's 16/256, 127), with
# its i32 table (ops.def): the exp part, ln(1 + i/256) and k ln 2 in units of
# s_o / 256, s_x / s_o 2^24; s_x = 1/256, s_o = 1/16
LSM_TABLE = ", ".join(
    [Y_TABLE] + [str(lround(math.log1p(i / 256.0) / 0.0625 * 256.0)) for i in range(257)] +
    [str(lround(k * 0.69314718055994531 / 0.0625 * 256.0)) for k in range(44)] +
    [str(lround(0.00390625 / 0.0625 * 16777216.0))])
BASE_LSM = BASE.replace(
    "\nc : i8", f"const y.table : i32[558] = [{LSM_TABLE}]\n\nc : i8", 1).replace(
    "y : i8[1,8] q(scale=0.00390625, zp=-128) range [0, 1] @0 = softmax(f) { axis = 1 }",
    "y : i8[1,8] q(scale=0.0625, zp=127) range [-2.54160976, 0] @0 = "
    "log_softmax(f, y.table) { axis = 1 }").replace("-> softmax", "-> log_softmax")
assert BASE_LSM.count("log_softmax(f, y.table)") == 1 and "i32[558]" in BASE_LSM


def table(values):
    return ", ".join(str(v) for v in values)


y = [int(v) for v in Y_TABLE.split(", ")]
CASES = {
    # (what the comment says, (pattern, replacement), ...)
    "softmax_table": ("an int8 softmax with a table operand (TFLite's kernel has none)",
                      (r"= softmax\(f\)", "= softmax(f, s.table)")),
    "softmax_scale": ("an int8 softmax result at 1/128, not TFLite's 1/256",
                      (r"(\ny : i8\[1,8\] q\(scale=)0.00390625", r"\g<1>0.0078125")),
    "softmax_beta": ("a softmax with beta 0", (r"softmax\(f\) \{ axis = 1 \}",
                                              "softmax(f) { axis = 1, beta = 0 }")),
    "scale_zero": ("a zero scale", (r"(\nc : i8\[1,2,4,4\] q\(scale=)[0-9.e-]+", r"\g<1>0")),
    "scale_negative": ("a negative scale in a per-channel weight",
                       (r"scale=\[0.00393700786, ", "scale=[0.00393700786, -")),
    "zp_range": ("a zero point outside i8", (r"(\nc : .*?zp=)-1\)", r"\g<1>200)")),
    "weight_zp": ("a weight with a zero point",
                  (r"q\(axis=0, scale=\[0.00393700786, 0.00787401572\]\)",
                   "q(scale=0.00393700786, zp=3)")),
    "offset_far": ("an arena offset past what the arena can hold", (r"@32 = avgpool2d", "@281474976710672 = avgpool2d")),
    "offset_unaligned": ("an arena offset that is not a multiple of 16", (r"@32 = avgpool2d", "@40 = avgpool2d")),
    "overlap": ("an avgpool2d result sharing its operand's arena bytes", (r"@32 = avgpool2d", "@0 = avgpool2d")),
    "clip_inverted": ("a clip whose min is above its max", (r"min = 0.25, max = 0.75", "min = 0.75, max = 0.25")),
    "clip_range_inverted": ("an inverted clip annotation",
                            (r"(\nk : .*?) range \[0.268940896, 0.731059551\]", r"\g<1> clip [0.75, 0.25]")),
    "keepq": ("an avgpool2d whose result does not keep its input's quantization",
              (r"(\np : i8\[1,2,2,2\] q\(scale=)0.00390625", r"\g<1>0.0078125")),
}

# the same model in f32, planned (`--precision f32 --passes infer-shapes,
# fuse-activation,plan-memory`)
BASE_F32 = """# {what}
# from: conv2d(x, w) -> sigmoid -> clip [0.25, 0.75] -> avgpool2d 2x2 -> flatten -> softmax
model b

input x : f32[1,1,4,4] range [-1, 1] @128

const w : f32[2,1,1,1] = [0.5, -1]

c : f32[1,2,4,4] @0 = conv2d(x, w) { stride = [1,1], pad = [0,0,0,0], dilation = [1,1], groups = 1, act = none }
s : f32[1,2,4,4] @0 = sigmoid(c)
k : f32[1,2,4,4] @0 = clip(s) { min = 0.25, max = 0.75 }
p : f32[1,2,2,2] @128 = avgpool2d(k) { stride = [2,2], pad = [0,0,0,0], kernel = [2,2], count_pad = 0 }
f : f32[1,8] @128 = flatten(p) { axis = 1 }
y : f32[1,8] @0 = softmax(f) { axis = 1 }

output y
"""
# log_softmax keeps quantc's table: its checks
LSM_CASES = {
    "log_softmax_zero": ("a log_softmax table whose exp part is zeros (every row's sum 0)",
                         (re.escape(Y_TABLE), table([0] * 256))),
    "log_softmax_first_zero": ("a log_softmax table whose exp(0) is 0",
                               (re.escape(Y_TABLE), table([0] + y[1:]))),
    "log_softmax_negative": ("a log_softmax table with a negative entry",
                             (re.escape(Y_TABLE), table(y[:5] + [-7] + y[6:]))),
}

F32_CASES = {
    "f32_shape": ("an f32 avgpool2d result of the wrong shape",
                  (r"p : f32\[1,2,2,2\] @128", "p : f32[1,2,3,3] @128"),
                  (r"f : f32\[1,8\] @128", "f : f32[1,18] @128"),
                  (r"y : f32\[1,8\]", "y : f32[1,18]")),
}

for name, (what, *subs) in (list(CASES.items()) + list(LSM_CASES.items()) +
                            list(F32_CASES.items())):
    base = BASE_F32 if name in F32_CASES else BASE_LSM if name in LSM_CASES else BASE
    text = base.replace("{what}", f"dump_{name}.qg: {what} (make_dumps.py)")
    for pat, rep in subs:
        new = re.sub(pat, rep, text, count=1)
        assert new != text, (name, pat)
        text = new
    with open(f"../dump_{name}.qg", "w") as f:
        f.write(text)
    with open(f"../dump_{name}_run.args", "w") as f:
        f.write(f"run\ndump_{name}.qg\n--passes\n\n--input\ndata/x_b.npy\n-o\n@OUT@\n")
    with open(f"../dump_{name}_compile.args", "w") as f:
        f.write(f"compile\ndump_{name}.qg\n--passes\n\n-o\n@OUT@\n")
