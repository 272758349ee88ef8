/* ir/interp_pool.h — private to the interpreter: the kernels of
 * avgpool2d, global_avgpool, pad and transpose (ir/interp_pool.c). */
#ifndef QUANTC_INTERP_POOL_H
#define QUANTC_INTERP_POOL_H

#include "ir.h"

/* x and out are node n's operand and result buffers (storage type). */
void interp_avgpool(const Graph *g, const Node *n, const void *x, void *out); /* and global */
void interp_pad(const Graph *g, const Node *n, const void *x, void *out);
void interp_transpose(const Graph *g, const Node *n, const void *x, void *out);
/* Everything the kernels rely on (shapes, attributes); 0, or -1 diagnosed. */
int interp_check_pool(const Graph *g, const Node *n, Diag *d);

#endif
