/* ir/interp_eltwise.h — the interpreter's add, sub, mul, div and concat
 * kernels (ir/interp_eltwise.c), called from ir/interp.c's dispatch. */
#ifndef QUANTC_INTERP_ELTWISE_H
#define QUANTC_INTERP_ELTWISE_H

#include "ir.h"

/* Everything the kernel of node n relies on (shapes, storage types,
 * quantization); returns 0 or -1 after a diagnostic. */
int ir_interp_check_eltwise(const Graph *g, const Node *n, Diag *d);
/* Runs node n; buf holds every value's storage-type data. */
void ir_interp_run_eltwise(const Graph *g, const Node *n, void *const *buf);

#endif
