/* tests/tools/tflite_dump.c — prints what frontend/tflite_read.c decodes
 * from a .tflite file: subgraphs, tensors (type, shape, buffer bytes,
 * quantization), operators (code, inputs, outputs, options table).  For
 * looking into a model and for the reader's tests; exits 1 on a file the
 * reader refuses, with its diagnostic.
 *   tflite_dump MODEL.tflite */
#include <stdio.h>

#include "tflite_read.h"

int main(int argc, char **argv)
{
	Diag d = {0};
	TflModel m;
	if (argc != 2) {
		fprintf(stderr, "usage: tflite_dump MODEL.tflite\n");
		return 2;
	}
	if (tfl_read(argv[1], &m, &d) < 0)
		return 1;
	printf("version %u, %d operator codes, %d buffers, %d subgraphs\n", m.version, m.nopcodes,
	       m.nbuffers, m.nsubgraphs);
	for (int s = 0; s < m.nsubgraphs; s++) {
		const TflSubgraph *g = &m.sg[s];
		printf("subgraph %d '%s': %d tensors, %d operators, inputs", s, g->name,
		       g->ntensors, g->nops);
		for (int i = 0; i < g->nin; i++)
			printf(" %d", g->in[i]);
		printf(", outputs");
		for (int i = 0; i < g->nout; i++)
			printf(" %d", g->out[i]);
		printf("\n");
		for (int i = 0; i < g->ntensors; i++) {
			const TflTensor *t = &g->t[i];
			printf("  t%d %s %s[", i, t->name, tfl_type_name(t->type));
			for (int k = 0; k < t->rank; k++)
				printf("%s%d", k ? "," : "", t->dims[k]);
			printf("]");
			if (t->data)
				printf(" data %zu bytes", t->nbytes);
			if (t->nscale == 1)
				printf(" q(scale=%.9g, zp=%lld)", t->scale[0], (long long)t->zp[0]);
			else if (t->nscale > 1)
				printf(" q(axis=%d, %d scales, first %.9g)", t->qdim, t->nscale,
				       t->scale[0]);
			printf("%s%s\n", t->is_variable ? " variable" : "",
			       t->has_sparsity ? " sparse" : "");
		}
		for (int i = 0; i < g->nops; i++) {
			const TflOp *o = &g->op[i];
			printf("  op%d %s v%d (", i, tfl_opcode_name(&m, o),
			       m.opcode[o->opcode].version);
			for (int k = 0; k < o->nin; k++)
				printf("%s%d", k ? " " : "", o->in[k]);
			printf(") -> (");
			for (int k = 0; k < o->nout; k++)
				printf("%s%d", k ? " " : "", o->out[k]);
			printf(") options %d%s\n", o->opt_type, o->opt.pos ? "" : " (none)");
		}
	}
	tfl_free(&m);
	return 0;
}
