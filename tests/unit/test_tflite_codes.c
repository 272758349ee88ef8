/* test_tflite_codes.c — the importer's BuiltinOperator codes
 * (frontend/tflite_import.h) name the operators they stand for in the
 * reader's table of TFLite's schema (tfl_op_name, frontend/tflite_read.c):
 * a wrong number there (LEAKY_RELU was once 97, RESIZE_NEAREST_NEIGHBOR)
 * would import one operator as another.  Every row of the op table is
 * checked. */
#include <string.h>

#include "check.h"
#include "tflite_import.h"

static const struct {
	int code;
	const char *name;
} codes[] = {
#define C(x) {TFL_OP_##x, #x}
        C(ADD),
        C(AVERAGE_POOL_2D),
        C(CONCATENATION),
        C(CONV_2D),
        C(DEPTHWISE_CONV_2D),
        C(DEQUANTIZE),
        C(FULLY_CONNECTED),
        C(LOGISTIC),
        C(MAX_POOL_2D),
        C(MUL),
        C(RELU),
        C(RELU_N1_TO_1),
        C(RELU6),
        C(RESHAPE),
        C(SOFTMAX),
        C(TANH),
        C(PAD),
        C(MEAN),
        C(SUB),
        C(SQUEEZE),
        C(LEAKY_RELU),
        C(QUANTIZE),
        C(HARD_SWISH),
#undef C
};

int main(void)
{
	int n = (int)(sizeof codes / sizeof *codes);
	for (int i = 0; i < n; i++) {
		const char *s = tfl_op_name(codes[i].code);
		check(s && strcmp(s, codes[i].name) == 0, "TFL_OP_%s = %d is %s in TFLite's schema",
		      codes[i].name, codes[i].code, s ? s : "(none)");
	}
	for (int i = 0; i < ti_nops; i++) {
		int known = 0;
		for (int k = 0; k < n; k++)
			known |= codes[k].code == ti_ops[i].code;
		check(known, "op table row %d (code %d, %s) is one of the codes checked above", i,
		      ti_ops[i].code, tfl_op_name(ti_ops[i].code));
	}
	return check_report();
}
