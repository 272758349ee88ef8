/* test_onnx_opset.c — the rewrites of frontend/onnx_opset.c, node by node:
 * an old-opset node goes in, and the test checks the node the op table
 * would see (its op type, inputs, attributes, and the constants made from
 * attributes), or the reason it is refused.  This covers the operators
 * whose handlers live on other branches (Split, Reduce*, PRelu, Upsample,
 * Resize, TopK); tests/onnx_conformance/opsets.sh runs the others end to
 * end. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "onnx_import.h"

static Imp im;
static Diag diag;
static char *errbuf;
static size_t errlen;

/* A fresh importer state at opset `opset`, with input "x" of shape s (a
 * constant: translation only reads its shape) and the constants of
 * initializers named c0, c1, ... if wanted. */
static void setup(int opset, Shape s)
{
	memset(&im, 0, sizeof im);
	memset(&diag, 0, sizeof diag);
	free(errbuf);
	errbuf = NULL;
	diag.out = open_memstream(&errbuf, &errlen);
	im.file = "t.onnx";
	im.d = &diag;
	im.opset = opset;
	im.g = ir_graph_new("t");
	float *d = ir_xcalloc((size_t)ir_shape_numel(&s) + 1, sizeof *d);
	oi_const_input(&im, "x", DT_F32, OT_FLOAT, &s, d);
}

static void teardown(void)
{
	for (int i = 0; i < im.nt; i++) {
		free(im.t[i].name);
		free(im.t[i].data);
	}
	free(im.t);
	free(im.slot);
	ir_graph_free(im.g);
	fclose(diag.out);
}

/* attributes of the node under test */
static Onnx__AttributeProto attrs[8];
static Onnx__AttributeProto *attrp[8];
static int nattrs;

static void attr_ints(const char *name, const int64_t *v, int n)
{
	Onnx__AttributeProto *a = &attrs[nattrs];
	*a = (Onnx__AttributeProto)ONNX__ATTRIBUTE_PROTO__INIT;
	a->name = (char *)name;
	a->has_type = 1;
	a->type = OA_INTS;
	a->n_ints = (size_t)n;
	a->ints = (int64_t *)v;
	attrp[nattrs++] = a;
}

static void attr_int(const char *name, int64_t v)
{
	Onnx__AttributeProto *a = &attrs[nattrs];
	*a = (Onnx__AttributeProto)ONNX__ATTRIBUTE_PROTO__INIT;
	a->name = (char *)name;
	a->has_type = 1;
	a->type = OA_INT;
	a->has_i = 1;
	a->i = v;
	attrp[nattrs++] = a;
}

static void attr_floats(const char *name, const float *v, int n)
{
	Onnx__AttributeProto *a = &attrs[nattrs];
	*a = (Onnx__AttributeProto)ONNX__ATTRIBUTE_PROTO__INIT;
	a->name = (char *)name;
	a->has_type = 1;
	a->type = OA_FLOATS;
	a->n_floats = (size_t)n;
	a->floats = (float *)v;
	attrp[nattrs++] = a;
}

static void attr_str(const char *name, const char *v)
{
	Onnx__AttributeProto *a = &attrs[nattrs];
	*a = (Onnx__AttributeProto)ONNX__ATTRIBUTE_PROTO__INIT;
	a->name = (char *)name;
	a->has_type = 1;
	a->type = OA_STRING;
	a->has_s = 1;
	a->s.len = strlen(v);
	a->s.data = (uint8_t *)v;
	attrp[nattrs++] = a;
}

static Onnx__NodeProto node;
static char *outs[4] = {"y", "y1", "y2", "y3"};
static OiEdit ed;

/* Translates node op(inputs) with the attributes set so far and nout
 * outputs; returns oi_translate's result.  Clears the attributes. */
static int run(const char *op, char **inputs, int nin, int nout)
{
	node = (Onnx__NodeProto)ONNX__NODE_PROTO__INIT;
	node.op_type = (char *)op;
	node.input = inputs;
	node.n_input = (size_t)nin;
	node.output = outs;
	node.n_output = (size_t)nout;
	node.attribute = attrp;
	node.n_attribute = (size_t)nattrs;
	im.node = &node;
	int rc = oi_translate(&im, &ed);
	nattrs = 0;
	fflush(diag.out);
	if (errlen && errbuf[errlen - 1] == '\n') /* one line in the checks' messages */
		errbuf[errlen - 1] = 0;
	return rc;
}

static const char *in(int k)
{
	return k < (int)ed.n.n_input ? ed.n.input[k] : NULL;
}

static const Onnx__AttributeProto *attr(const char *name)
{
	for (size_t i = 0; i < ed.n.n_attribute; i++)
		if (strcmp(ed.n.attribute[i]->name, name) == 0)
			return ed.n.attribute[i];
	return NULL;
}

/* Does input k hold the int64 constant v[0..n)? */
static int ints_are(int k, const int64_t *v, int n)
{
	OTensor *t = in(k) && *in(k) ? oi_find(&im, in(k)) : NULL;
	if (!t || !t->isconst || t->dt != DT_I64 || t->shape.rank != 1 || oi_numel(t) != n)
		return 0;
	return memcmp(t->data, v, (size_t)n * sizeof *v) == 0;
}

static int str_is(const char *name, const char *v)
{
	const Onnx__AttributeProto *a = attr(name);
	return a && a->has_s && a->s.len == strlen(v) && memcmp(a->s.data, v, a->s.len) == 0;
}

static void done(void)
{
	oi_edit_free(&ed);
	teardown();
}

int main(void)
{
	char *x[] = {"x"}, *x_s[] = {"x", "s"};
	int rc;

	/* Split before 13: the split attribute is input 1 */
	setup(11, (Shape){2, {6, 4}});
	static const int64_t sp[] = {2, 4};
	attr_ints("split", sp, 2);
	attr_int("axis", 0);
	check(run("Split", x, 1, 2) == 0 && ints_are(1, sp, 2) && !attr("split") && attr("axis"),
	      "Split-11 split = [2, 4] -> input 1 [2, 4], axis kept");
	done();

	/* Split 18: num_outputs 3 of 7 -> sizes 3, 3, 1 */
	setup(18, (Shape){2, {7, 4}});
	attr_int("num_outputs", 3);
	static const int64_t s331[] = {3, 3, 1};
	check(run("Split", x, 1, 3) == 0 && ints_are(1, s331, 3) && !attr("num_outputs"),
	      "Split-18 num_outputs = 3 of 7 -> input 1 [3, 3, 1]");
	done();
	setup(18, (Shape){2, {7, 4}});
	attr_int("num_outputs", 3);
	rc = run("Split", x, 1, 2);
	check(rc == -1 && strstr(errbuf, "num_outputs is 3, the node has 2"),
	      "Split-18 num_outputs = 3 with 2 outputs: refused (%s)", errbuf);
	done();

	/* Reductions: axes attribute -> input 1, before 18 (ReduceSum: 13) */
	static const int64_t ax23[] = {2, 3};
	const char *red[] = {"ReduceMean", "ReduceMax",       "ReduceMin",      "ReduceProd",
	                     "ReduceL2",   "ReduceLogSumExp", "ReduceSumSquare"};
	for (int i = 0; i < 7; i++) {
		setup(17, (Shape){4, {1, 2, 3, 4}});
		attr_ints("axes", ax23, 2);
		attr_int("keepdims", 0);
		check(run(red[i], x, 1, 1) == 0 && ints_are(1, ax23, 2) && !attr("axes") &&
		              attr("keepdims"),
		      "%s-17 axes = [2, 3] -> input 1", red[i]);
		done();
	}
	setup(11, (Shape){4, {1, 2, 3, 4}});
	attr_ints("axes", ax23, 2);
	check(run("ReduceSum", x, 1, 1) == 0 && ints_are(1, ax23, 2),
	      "ReduceSum-11 axes -> input 1");
	done();
	setup(13, (Shape){4, {1, 2, 3, 4}});
	char *x_a[] = {"x", "a"};
	check(run("ReduceSum", x_a, 2, 1) == 0 && in(1) && strcmp(in(1), "a") == 0,
	      "ReduceSum-13 (axes already an input): unchanged");
	done();
	setup(18, (Shape){4, {1, 2, 3, 4}});
	check(run("ReduceMean", x, 1, 1) == 0 && ed.n.n_input == 1,
	      "ReduceMean-18 without axes: unchanged (every axis)");
	done();

	/* PRelu before 7: a slope of C values is [C, 1, 1] */
	setup(6, (Shape){4, {2, 3, 4, 5}});
	{
		Shape ss = {1, {3}};
		float *sd = ir_xcalloc(3, sizeof *sd);
		sd[0] = 0.1f, sd[1] = 0.2f, sd[2] = 0.3f;
		oi_const_input(&im, "s", DT_F32, OT_FLOAT, &ss, sd);
	}
	check(run("PRelu", x_s, 2, 1) == 0 && in(1) && strcmp(in(1), "s") != 0 &&
	              oi_find(&im, in(1))->shape.rank == 3 &&
	              oi_find(&im, in(1))->shape.d[0] == 3 &&
	              oi_find(&im, in(1))->shape.d[2] == 1 &&
	              ((float *)oi_find(&im, in(1))->data)[2] == 0.3f,
	      "PRelu-6 slope [3] of a [2, 3, 4, 5] input -> a [3, 1, 1] constant");
	done();
	setup(9, (Shape){4, {2, 3, 4, 5}});
	{
		Shape ss = {1, {3}};
		oi_const_input(&im, "s", DT_F32, OT_FLOAT, &ss, ir_xcalloc(3, sizeof(float)));
	}
	check(run("PRelu", x_s, 2, 1) == 0 && strcmp(in(1), "s") == 0,
	      "PRelu-9: slope unchanged (NumPy broadcasting)");
	done();

	/* Upsample -> Resize */
	setup(7, (Shape){4, {1, 1, 2, 2}});
	static const float sc[] = {1, 1, 2, 3};
	attr_floats("scales", sc, 4);
	check(run("Upsample", x, 1, 1) == 0 && strcmp(ed.type, "Resize") == 0 &&
	              ed.n.n_input == 3 && strcmp(in(1), "") == 0 && oi_find(&im, in(2)) &&
	              oi_numel(oi_find(&im, in(2))) == 4 &&
	              ((float *)oi_find(&im, in(2))->data)[3] == 3 && str_is("mode", "nearest") &&
	              str_is("coordinate_transformation_mode", "asymmetric") &&
	              str_is("nearest_mode", "floor") && !attr("scales"),
	      "Upsample-7 scales attribute -> Resize(x, \"\", scales) nearest, asymmetric, floor");
	done();
	setup(9, (Shape){4, {1, 1, 2, 2}});
	attr_str("mode", "linear");
	check(run("Upsample", x_s, 2, 1) == 0 && strcmp(ed.type, "Resize") == 0 &&
	              strcmp(in(2), "s") == 0 && strcmp(in(1), "") == 0 &&
	              str_is("mode", "linear") &&
	              str_is("coordinate_transformation_mode", "asymmetric") &&
	              !attr("nearest_mode"),
	      "Upsample-9 linear, scales input -> Resize(x, \"\", s) linear, asymmetric");
	done();
	setup(9, (Shape){4, {1, 1, 2, 2}});
	attr_str("mode", "cubic");
	rc = run("Upsample", x_s, 2, 1);
	check(rc == -1 && strstr(errbuf, "node #0 (Upsample): mode 'cubic' is not supported"),
	      "Upsample mode cubic: refused (%s)", errbuf);
	done();
	setup(10, (Shape){4, {1, 1, 2, 2}});
	check(run("Resize", x_s, 2, 1) == 0 && strcmp(ed.type, "Resize") == 0 &&
	              strcmp(in(2), "s") == 0 && str_is("mode", "nearest") &&
	              str_is("nearest_mode", "floor"),
	      "Resize-10 (x, scales) -> Resize(x, \"\", scales) asymmetric, floor");
	done();
	setup(13, (Shape){4, {1, 1, 2, 2}});
	char *r13[] = {"x", "", "s"};
	check(run("Resize", r13, 3, 1) == 0 && !attr("coordinate_transformation_mode"),
	      "Resize-13: unchanged");
	done();

	/* TopK before 10: k attribute -> input 1 */
	setup(9, (Shape){1, {5}});
	attr_int("k", 2);
	static const int64_t k2[] = {2};
	check(run("TopK", x, 1, 2) == 0 && ints_are(1, k2, 1) && !attr("k"),
	      "TopK-9 k = 2 -> input 1 [2]");
	done();

	/* Softmax family before 13 */
	setup(11, (Shape){4, {1, 2, 3, 8}});
	rc = run("LogSoftmax", x, 1, 1);
	check(rc == -1 && strstr(errbuf,
	                         "before opset 13, LogSoftmax normalizes over dimensions 1 to 3"),
	      "LogSoftmax-11 axis 1 of [1, 2, 3, 8]: refused (%s)", errbuf);
	done();
	setup(11, (Shape){4, {1, 8, 1, 1}});
	check(run("Hardmax", x, 1, 1) == 0 && attr("axis") && attr("axis")->i == 1,
	      "Hardmax-11 axis 1 of [1, 8, 1, 1] -> axis 1");
	done();

	/* Pad 18: axes */
	setup(18, (Shape){4, {1, 2, 3, 4}});
	{
		static const int64_t p[] = {1, 2, 3, 4}, a[] = {-1, 2};
		Shape s = {1, {4}}, sa = {1, {2}};
		int64_t *pd = ir_xmalloc(sizeof p), *ad = ir_xmalloc(sizeof a);
		memcpy(pd, p, sizeof p);
		memcpy(ad, a, sizeof a);
		oi_const_input(&im, "p", DT_I64, OT_INT64, &s, pd);
		oi_const_input(&im, "a", DT_I64, OT_INT64, &sa, ad);
	}
	char *pad18[] = {"x", "p", "", "a"};
	static const int64_t full[] = {0, 0, 2, 1, 0, 0, 4, 3};
	check(run("Pad", pad18, 4, 1) == 0 && ed.n.n_input == 3 && ints_are(1, full, 8),
	      "Pad-18 pads [1, 2, 3, 4] on axes [-1, 2] -> pads [0, 0, 2, 1, 0, 0, 4, 3]");
	done();

	/* QuantizeLinear 21: block_size */
	setup(21, (Shape){2, {4, 4}});
	attr_int("block_size", 2);
	rc = run("QuantizeLinear", x_s, 2, 1);
	check(rc == -1 && strstr(errbuf, "blocked quantization (block_size = 2) is not supported"),
	      "QuantizeLinear-21 block_size 2: refused (%s)", errbuf);
	done();
	setup(21, (Shape){2, {4, 4}});
	attr_int("output_dtype", OT_INT8);
	check(run("QuantizeLinear", x_s, 2, 1) == 0 && in(2) && oi_find(&im, in(2)) &&
	              oi_find(&im, in(2))->otype == OT_INT8 && !attr("output_dtype"),
	      "QuantizeLinear-21 output_dtype INT8, no zero point -> an INT8 zero point 0");
	done();

	/* a name of the model is never taken by a new constant */
	setup(11, (Shape){2, {6, 4}});
	{
		Shape s = {1, {1}};
		oi_const_input(&im, "y_split", DT_I64, OT_INT64, &s, ir_xcalloc(1, 8));
	}
	attr_ints("split", sp, 2);
	rc = run("Split", x, 1, 2);
	check(rc == 0 && in(1) && strcmp(in(1), "y_split") != 0 && ints_are(1, sp, 2),
	      "a new constant's name is unique ('%s', the model has 'y_split')", in(1));
	done();

	free(errbuf);
	return check_report();
}
