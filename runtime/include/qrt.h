/* qrt.h — the quantc runtime: what a program that links a quantc-generated
 * object needs.  Freestanding C99: no malloc, no libc beyond
 * memcpy/memset/memmove.
 *
 * Conventions (as CMSIS-NN): every function documents the legal range of its
 * parameters; errors are returned as qrt_status, never asserted.
 */
#ifndef QRT_H
#define QRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	QRT_OK = 0,
	QRT_ERR_NULL = 1,      /* a required pointer argument is NULL */
	QRT_ERR_ALIGN = 2,     /* the arena is not aligned to NAME_ARENA_ALIGN */
	QRT_ERR_ARGUMENT = 3,  /* an argument is out of its documented range */
} qrt_status;

typedef enum {
	QRT_F32 = 0,
	QRT_I8 = 1,
	QRT_I16 = 2,
	QRT_I32 = 3,
	QRT_I64 = 4, /* an index input (embedding ids, Gather indices): as given */
	QRT_U8 = 5,  /* a bool mask input or output (bytes 0 or 1): as given */
} qrt_dtype;

/* One model input or output as the generated entry points see it. */
typedef struct {
	const char *name;
	qrt_dtype dtype;          /* storage type at the interface of NAME_run_q */
	uint32_t rank;            /* 1..6 */
	const uint32_t *shape;    /* rank entries */
	uint32_t size;            /* elements */
	float scale;              /* real = scale * (q - zero_point); 0 for f32 */
	int32_t zero_point;
} qrt_tensor_info;

/* Everything a host program may want to know about a compiled model. */
typedef struct {
	const char *name;
	uint32_t num_inputs;
	uint32_t num_outputs;
	const qrt_tensor_info *inputs;
	const qrt_tensor_info *outputs;
	uint32_t arena_size;      /* bytes the caller provides */
	uint32_t arena_align;     /* required alignment of the arena, bytes */
} qrt_model;

/* Quantizes n floats: q = clamp(round(x / scale) + zero_point), rounding half
 * away from zero, NaN to zero_point.  scale > 0; int8 zero_point in
 * [-128, 127]; int16 zero_point 0.  n may be 0. */
void qrt_quantize_s8(const float *x, int8_t *q, uint32_t n, float scale, int32_t zero_point);
void qrt_quantize_s16(const float *x, int16_t *q, uint32_t n, float scale, int32_t zero_point);
/* onnxruntime's QuantizeLinear (quantc --requant float): v = x / scale,
 * clamped to [-128 - zero_point, 127 - zero_point] (NaN to the lower bound),
 * rounded half to even, + zero_point. */
void qrt_quantize_s8_even(const float *x, int8_t *q, uint32_t n, float scale, int32_t zero_point);
/* Dequantizes n values: x = (float)(q - zero_point) * scale. */
void qrt_dequantize_s8(const int8_t *q, float *x, uint32_t n, float scale, int32_t zero_point);
void qrt_dequantize_s16(const int16_t *q, float *x, uint32_t n, float scale, int32_t zero_point);

/* One value: the scalar behind qrt_quantize_s8/s16; qmin < qmax. */
int32_t qrt_quantize_one(float x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax);

/* exp, sigmoid and tanh of one float, without libm (act.c): what the f32
 * kernels of sigmoid, tanh and softmax call, and the interpreter too. */
float qrt_expf(float x);
float qrt_sigmoidf(float x);
float qrt_tanhf(float x);

/* TFLite's int16 LOGISTIC and TANH of one element (reference_integer_ops,
 * act.c): x = q - zero_point of the input, mult and shift TFLite's
 * input_multiplier and input_left_shift (the input rescaled to steps of
 * 1/(3 * 4096): (x * mult + 2^(shift-1)) >> shift), shift in [0, 31],
 * mult >= 0; the result at scale 1/32768, zero point 0.  The interpreter
 * calls them, generated code does the same inline; qrt_sigmoid_u16 is the
 * table both interpolate, sigmoid(i / 24) in 0.16 fixed point. */
extern const uint16_t qrt_sigmoid_u16[256];
int16_t qrt_logistic_s16(int32_t x, int32_t mult, int32_t shift);
int16_t qrt_tanh_s16(int32_t x, int32_t mult, int32_t shift);

/* The unary math functions (unary.c) by number: QRT_U_* is part of the
 * ABI, generated code passes it.  qrt_unaryf(fn, x, a, b) is the f32
 * kernel of each (a, b: the op's alpha and beta: elu, celu alpha; selu
 * alpha, gamma; pow the exponent; shrink lambd, bias; thresholded_relu
 * alpha); qrt_unary the same function in double (the quantize pass's
 * lookup tables).  An unknown fn gives NaN. */
enum {
	QRT_U_NEG = 0,
	QRT_U_SQRT = 1,
	QRT_U_EXP = 2,
	QRT_U_LOG = 3,
	QRT_U_RECIPROCAL = 4,
	QRT_U_SIGN = 5,
	QRT_U_ELU = 6,
	QRT_U_SELU = 7,
	QRT_U_SOFTPLUS = 8,
	QRT_U_SOFTSIGN = 9,
	QRT_U_MISH = 10,
	QRT_U_GELU = 11,
	QRT_U_ERF = 12,
	QRT_U_POW = 13,
	QRT_U_SHRINK = 14,
	QRT_U_CELU = 15,
	QRT_U_THRESHOLDED_RELU = 16,
	QRT_U_FLOOR = 17,
	QRT_U_CEIL = 18,
	QRT_U_ROUND = 19,
	QRT_U_SIN = 20,
	QRT_U_COS = 21,
	QRT_U_TAN = 22,
	QRT_U_ASIN = 23,
	QRT_U_ACOS = 24,
	QRT_U_ATAN = 25,
	QRT_U_SINH = 26,
	QRT_U_COSH = 27,
	QRT_U_ASINH = 28,
	QRT_U_ACOSH = 29,
	QRT_U_ATANH = 30,
};
float qrt_unaryf(int32_t fn, float x, float a, float b);
double qrt_unary(int32_t fn, double x, double a, double b);
/* x^y for two run-time operands (powv's f32 element): pow's function,
 * qrt_unaryf(QRT_U_POW, x, y, 0), as C's powf. */
float qrt_powf(float x, float y);

/* TFLite MultiplyByQuantizedMultiplier: acc * mult * 2^(shift - 31) with
 * gemmlowp's SaturatingRoundingDoublingHighMul then RoundingDivideByPOT.
 * mult in [2^30, 2^31) (or 0); shift in [-31, 30]. */
int32_t qrt_requantize(int32_t acc, int32_t mult, int32_t shift);

/* Index of the largest of n int8 values (first on ties); n >= 1. */
uint32_t qrt_argmax_s8(const int8_t *x, uint32_t n);
uint32_t qrt_argmax_f32(const float *x, uint32_t n);

/* The x86-64 microarchitecture level of the CPU running the program, from
 * CPUID and, for the vector registers, XGETBV (the operating system must
 * save them): each level has every feature of the levels below it.
 *   QRT_X86_V1       x86-64: SSE2
 *   QRT_X86_V2       x86-64-v2: + SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT,
 *                    CMPXCHG16B, LAHF/SAHF
 *   QRT_X86_V3       x86-64-v3: + AVX, AVX2, BMI1, BMI2, F16C, FMA, LZCNT,
 *                    MOVBE, XSAVE, with the OS saving the YMM registers
 *   QRT_X86_V4       x86-64-v4: + AVX-512 F, BW, CD, DQ, VL, with the OS
 *                    saving the opmask and ZMM registers
 *   QRT_X86_V4_VNNI  x86-64-v4 + AVX512_VNNI (Cascade Lake, Ice Lake, Zen 4...)
 * 0 (QRT_X86_NONE) on every other architecture.  The default x86-64 object
 * of quantc calls it in every NAME_run / NAME_run_q to choose among the
 * bodies it carries.  The first call executes CPUID (slow in a virtual
 * machine: microseconds); the answer is kept in one int of the runtime, read
 * and written with relaxed atomic accesses: threads racing on the first call
 * all store the same value, so any number of threads may call it at once. */
typedef enum {
	QRT_X86_NONE = 0,
	QRT_X86_V1 = 1,
	QRT_X86_V2 = 2,
	QRT_X86_V3 = 3,
	QRT_X86_V4 = 4,
	QRT_X86_V4_VNNI = 5,
} qrt_x86_isa;
int32_t qrt_x86_level(void);

/* "1.0.0" */
const char *qrt_version(void);

/* The debug twin's hook.  An object compiled with `quantc compile
 * --instrument` calls it during every NAME_run / NAME_run_q: first once per
 * model input, after the float edge quantized it into the arena (layer ids
 * 0 .. num_inputs - 1), then once after every layer of the model, in the
 * order the layers run (the following ids, up to NAME_TRACE_LAYERS - 1; the
 * generated header lists which value each id is).
 *   layer_id  in [0, NAME_TRACE_LAYERS)
 *   data      the layer's output tensor in the arena: storage type (int8_t,
 *             int16_t, int32_t or float), the model's layout, C order, the
 *             target's byte order; valid only during the call
 *   bytes     its size in bytes, >= 1
 * The function must only read data, not keep the pointer, return normally
 * (no longjmp) and not run the same arena's model again; anything else (I/O,
 * checksums, copying out) is fine.  The runtime's definition is weak and
 * does nothing: define qrt_trace in the program to receive the tensors
 * (docs/trace-format.md is a text form quantc trace-diff reads).
 * Uninstrumented objects never call it. */
void qrt_trace(uint32_t layer_id, const void *data, uint32_t bytes);
/* What an instrumented object calls for a tensor it stores NHWC (quantc's
 * layout = nhwc): data, [N][pixels][channels] elements of elem_bytes, is
 * transposed into buf (bytes, the layer's arena scratch) to the model's
 * NCHW layout, then passed to qrt_trace(layer_id, buf, bytes).  The
 * runtime's definition is weak too: a program may replace it (one that
 * only times layers need not transpose). */
void qrt_trace_nhwc(uint32_t layer_id, const void *data, uint32_t bytes, void *buf,
                    uint32_t channels, uint32_t pixels, uint32_t elem_bytes);

#ifdef __cplusplus
}
#endif
#endif
