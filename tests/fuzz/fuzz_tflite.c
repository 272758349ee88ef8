/* tests/fuzz/fuzz_tflite.c — libFuzzer harness of the .tflite reader
 * (frontend/tflite_read.c) and, when it is built, the TFLite importer
 * (frontend/tflite.c).
 *
 * The input goes to tfl_read_mem.  A model it accepts must hold what
 * tflite_read.h promises, checked here against the file's bytes: every
 * index (opcodes, tensors, buffers, subgraph inputs and outputs) in range,
 * every tensor's data inside the file and (dense, of a sized type) exactly
 * numel * element size bytes long, ranks and dims as the header says,
 * scales finite and > 0, zero points in int32 (in their type for int8 and
 * uint8), per-channel counts equal to their dimension.  Every field 0..15
 * of every operator's options is then read with tfl_opt_int at sizes 1 and
 * 4 (and with tfl_opt_float and tfl_opt_ints): a field whose bytes lie
 * inside its table (as its vtable says) must read, and read the bytes that
 * are there, an absent one the default; one whose bytes leave its table
 * must fail, and any failure must have been diagnosed.  ASan sees every
 * byte read.
 *
 * Then (QC_FUZZ_HAVE_TFLITE_IMPORT: CMakeLists.txt defines it when
 * frontend/tflite.c exists) the input is written to model.tflite in a
 * private folder for fe_tflite_read; a graph it accepts must verify, pass
 * infer-shapes and round-trip through .qg, as fuzz_onnx checks.  A reader
 * that fails must have reported an error.  Any violation abort()s. */
#include <math.h>

#include "fuzz_util.h"
#include "tflite_read.h"

static int64_t numel(const TflTensor *t)
{
	int64_t n = 1;

	for (int i = 0; i < t->rank; i++)
		n *= t->dims[i]; /* dims are checked >= 0 first; 6 dims of int32 fit */
	return n;
}

/* The tensor's shape, quantization and data against the header's promises. */
static void check_tensor(const TflModel *m, int s, int k, const TflTensor *t)
{
	if (!t->name)
		fz_fail("subgraph %d tensor %d: no name (\"\" expected)", s, k);
	(void)strlen(t->name);
	if (t->rank < 0 || t->rank > TFL_MAX_RANK)
		fz_fail("subgraph %d tensor %d: rank %d", s, k, t->rank);
	for (int i = 0; i < t->rank; i++)
		if (t->dims[i] < 0)
			fz_fail("subgraph %d tensor %d: dim %d is %d", s, k, i, (int)t->dims[i]);
	if (t->buffer != 0 && (int64_t)t->buffer >= m->nbuffers)
		fz_fail("subgraph %d tensor %d: buffer %u of %d", s, k, t->buffer, m->nbuffers);
	if (!t->data) {
		if (t->nbytes != 0)
			fz_fail("subgraph %d tensor %d: no data but %zu bytes", s, k, t->nbytes);
	} else {
		/* strings have no element size; sparse data is not numel long */
		int es = tfl_type_size(t->type);
		if (es && !t->has_sparsity && (int64_t)t->nbytes != numel(t) * es)
			fz_fail("subgraph %d tensor %d: %zu bytes of data, numel %lld * %d", s, k,
			        t->nbytes, (long long)numel(t), es);
		if (t->data < m->file || t->nbytes > m->size ||
		    (size_t)(t->data - m->file) > m->size - t->nbytes)
			fz_fail("subgraph %d tensor %d: data outside the file", s, k);
		/* every byte is there (ASan) */
		unsigned sum = 0;
		for (size_t i = 0; i < t->nbytes; i++)
			sum += t->data[i];
		(void)sum;
	}
	if (t->nscale < 0)
		fz_fail("subgraph %d tensor %d: %d scales", s, k, t->nscale);
	if (t->nscale > 0) {
		if (!t->scale || !t->zp)
			fz_fail("subgraph %d tensor %d: %d scales, no array", s, k, t->nscale);
		for (int i = 0; i < t->nscale; i++) {
			if (!isfinite(t->scale[i]) || !(t->scale[i] > 0))
				fz_fail("subgraph %d tensor %d: scale %d is %g", s, k, i,
				        (double)t->scale[i]);
			if (t->zp[i] < INT32_MIN || t->zp[i] > INT32_MAX ||
			    (t->type == TFL_INT8 && (t->zp[i] < -128 || t->zp[i] > 127)) ||
			    (t->type == TFL_UINT8 && (t->zp[i] < 0 || t->zp[i] > 255)))
				fz_fail("subgraph %d tensor %d: zero point %lld of %s", s, k,
				        (long long)t->zp[i], tfl_type_name(t->type));
		}
		if (t->nscale > 1 &&
		    (t->qdim < 0 || t->qdim >= t->rank || t->dims[t->qdim] != t->nscale))
			fz_fail("subgraph %d tensor %d: %d scales along dim %d of rank %d", s, k,
			        t->nscale, t->qdim, t->rank);
	}
	(void)tfl_type_name(t->type);
}

static void check_indices(const TflModel *m)
{
	if (m->version != 3)
		fz_fail("schema version %u accepted", m->version);
	if (m->nopcodes < 0 || m->nsubgraphs < 0 || m->nbuffers < 0)
		fz_fail("negative counts");
	if (!m->description)
		fz_fail("no description (\"\" expected)");
	(void)strlen(m->description);
	for (int i = 0; i < m->nopcodes; i++)
		if (m->opcode[i].custom)
			(void)strlen(m->opcode[i].custom);
	for (int s = 0; s < m->nsubgraphs; s++) {
		const TflSubgraph *sg = &m->sg[s];
		(void)strlen(sg->name);
		for (int k = 0; k < sg->ntensors; k++)
			check_tensor(m, s, k, &sg->t[k]);
		for (int k = 0; k < sg->nin; k++)
			if (sg->in[k] < 0 || sg->in[k] >= sg->ntensors)
				fz_fail("subgraph %d input %d: tensor %d of %d", s, k,
				        (int)sg->in[k], sg->ntensors);
		for (int k = 0; k < sg->nout; k++)
			if (sg->out[k] < 0 || sg->out[k] >= sg->ntensors)
				fz_fail("subgraph %d output %d: tensor %d of %d", s, k,
				        (int)sg->out[k], sg->ntensors);
		for (int k = 0; k < sg->nops; k++) {
			const TflOp *op = &sg->op[k];
			if (op->opcode < 0 || op->opcode >= m->nopcodes)
				fz_fail("subgraph %d op %d: opcode %d of %d", s, k, op->opcode,
				        m->nopcodes);
			for (int i = 0; i < op->nin; i++)
				if (op->in[i] < -1 || op->in[i] >= sg->ntensors)
					fz_fail("subgraph %d op %d input %d: tensor %d of %d", s, k,
					        i, (int)op->in[i], sg->ntensors);
			for (int i = 0; i < op->nout; i++)
				if (op->out[i] < -1 || op->out[i] >= sg->ntensors)
					fz_fail("subgraph %d op %d output %d: tensor %d of %d", s,
					        k, i, (int)op->out[i], sg->ntensors);
			if (op->opt.pos && (op->opt.pos >= m->size || op->opt.vt >= m->size))
				fz_fail("subgraph %d op %d: options table at %u, vtable at %u, file "
				        "of %zu",
				        s, k, op->opt.pos, op->opt.vt, m->size);
			const char *name = tfl_opcode_name(m, op);
			if (!name)
				fz_fail("subgraph %d op %d: no name", s, k);
			(void)strlen(name);
		}
	}
}

/* Where field `field` of the options table of op is in the file, by its
 * vtable, read here independently of the reader: *off its offset in the
 * table (0: absent), *tlen the table's length. */
static void field_at(const TflModel *m, const TflOp *op, int field, uint16_t *off, uint16_t *tlen)
{
	*off = *tlen = 0;
	if (!op->opt.pos || field >= op->opt.nfield)
		return;
	if ((size_t)op->opt.vt + 6 + 2 * field > m->size)
		fz_fail("options vtable at %u lists %u fields past the file's end", op->opt.vt,
		        op->opt.nfield);
	memcpy(tlen, m->file + op->opt.vt + 2, 2);
	memcpy(off, m->file + op->opt.vt + 4 + 2 * field, 2);
	if (*off && (size_t)op->opt.pos + *tlen > m->size)
		fz_fail("options table at %u of %u bytes past the file's end", op->opt.pos, *tlen);
}

/* A reader's call failed: it must have said why. */
static void check_failed(Diag *d, int before, const char *what, int k, int field)
{
	if (d->nerrors <= before)
		fz_fail("%s failed on op %d field %d without a diagnostic", what, k, field);
}

static void check_options(TflModel *m, Diag *d)
{
	const TflSubgraph *sg = &m->sg[0];

	for (int k = 0; k < sg->nops; k++) {
		const TflOp *op = &sg->op[k];
		for (int f = 0; f < 16; f++) {
			uint16_t off, tlen;
			field_at(m, op, f, &off, &tlen);
			uint32_t p = off ? op->opt.pos + off : 0;
			for (int size = 1; size <= 4; size += 3) {
				int64_t v = -7;
				int before = d->nerrors;
				/* a field reads unless its bytes leave its table */
				int fits = off == 0 || (off >= 4 && off + size <= tlen);
				if (tfl_opt_int(m, k, f, size, 12345, &v) != 0) {
					check_failed(d, before, "tfl_opt_int", k, f);
					if (fits)
						fz_fail("tfl_opt_int failed on op %d field %d (at %u, size "
						        "%d) inside its table",
						        k, f, p, size);
					continue;
				}
				if (!fits)
					fz_fail("tfl_opt_int read op %d field %d (at %u, size %d) "
					        "outside its table (%u bytes)",
					        k, f, p, size, tlen);
				if (p == 0) {
					if (v != 12345)
						fz_fail("tfl_opt_int: absent field %d of op %d gave %lld, "
						        "not the default",
						        f, k, (long long)v);
				} else if (size == 4) {
					int32_t x;
					memcpy(&x, m->file + p, 4);
					if (v != x && v != (uint32_t)x)
						fz_fail("tfl_opt_int: op %d field %d is %d, read %lld",
						        k, f, (int)x, (long long)v);
				} else if (v != (int8_t)m->file[p] && v != m->file[p]) {
					fz_fail("tfl_opt_int: op %d field %d is byte %d, read %lld",
					        k, f, m->file[p], (long long)v);
				}
			}
			float x = 0;
			int before = d->nerrors;
			if (tfl_opt_float(m, k, f, 0.5f, &x) != 0)
				check_failed(d, before, "tfl_opt_float", k, f);
			int32_t vals[8];
			int n = -2;
			before = d->nerrors;
			if (tfl_opt_ints(m, k, f, vals, 8, &n) != 0)
				check_failed(d, before, "tfl_opt_ints", k, f);
			else if (n < -1 || (n == -1 && p != 0))
				fz_fail("tfl_opt_ints: op %d field %d: count %d", k, f, n);
		}
	}
}

#ifdef QC_FUZZ_HAVE_TFLITE_IMPORT
static char in_path[600], out_dir[600];

static void check_import(const uint8_t *data, size_t size)
{
	Diag d = fz_diag();

	if (!in_path[0]) {
		char dir[600];
		fz_path(dir, sizeof dir, fz_dir(), "tflite");
		fz_path(out_dir, sizeof out_dir, fz_dir(), "out");
		mkdir(dir, 0777);
		mkdir(out_dir, 0777);
		fz_path(in_path, sizeof in_path, dir, "model.tflite");
	}
	fz_write(in_path, data, size);
	Graph *g = fe_tflite_read(in_path, &(FeReadOptions){.infer_shapes = fz_infer_hook}, &d);
	if (!g) {
		if (d.nerrors == 0)
			fz_fail("fe_tflite_read failed without a diagnostic");
		return;
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
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Diag d = fz_diag();
	TflModel m;

	if (tfl_read_mem(data, size, "model.tflite", &m, &d) != 0) {
		if (d.nerrors == 0)
			fz_fail("tfl_read_mem failed without a diagnostic");
	} else {
		if (d.nerrors != 0)
			fz_fail("tfl_read_mem accepted a model after %d errors", d.nerrors);
		check_indices(&m);
		if (m.nsubgraphs > 0)
			check_options(&m, &d);
		tfl_free(&m);
	}
#ifdef QC_FUZZ_HAVE_TFLITE_IMPORT
	check_import(data, size);
#endif
	return 0;
}
