/* tests/fuzz/fuzz_onnx.c — libFuzzer harness of the ONNX importer (onnx.c,
 * onnx_fold.c, onnx_ops.c over protobuf-c).
 *
 * fe_onnx_read only reads files, so each input is written to model.onnx in
 * a folder of its own (external data it names can only be missing, or the
 * model itself).  A model it accepts must verify, pass infer-shapes (the
 * importer gives every value the type the IR infers), and print as .qg that
 * parses back and prints the same (the importer makes every ONNX name a .qg
 * identifier).  Any violation abort()s.
 */
#include "fuzz_util.h"

static char in_path[600], out_dir[600];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Diag d = fz_diag();

	if (!in_path[0]) {
		char dir[600];
		fz_path(dir, sizeof dir, fz_dir(), "onnx");
		fz_path(out_dir, sizeof out_dir, fz_dir(), "out");
		mkdir(dir, 0777);
		mkdir(out_dir, 0777);
		fz_path(in_path, sizeof in_path, dir, "model.onnx");
	}
	fz_write(in_path, data, size);
	Graph *g = fe_onnx_read(in_path, &(FeReadOptions){.infer_shapes = fz_infer_hook}, &d);
	if (!g) {
		if (d.nerrors == 0)
			fz_fail("fe_onnx_read failed without a diagnostic");
		return 0;
	}
	fz_check_verifies(g, "imported");
	if (fz_infer(g) != 0) {
		Diag loud = {0};
		PassContext ctx = {.precision = PREC_INT8};
		PassOptions o = {&ctx, NULL};
		pass_infer_shapes(g, &o, &loud);
		fz_fail("infer-shapes fails on an imported model");
	}
	fz_check_verifies(g, "shape-inferred");
	ir_graph_free(fz_round_trip(g, "imported", out_dir));
	ir_graph_free(g);
	return 0;
}
