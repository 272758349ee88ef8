/* conv_common.c — what the target conv2d kernels (kernel_*.c) share: the
 * geometry checks, the padded scratch's size, the folded bias, the packed
 * constant globals and the aligned loads.  Each kernel keeps its own tile
 * and inner loop.
 */
#include <stdlib.h>

#include "targets.h"

int tgt_conv_geo(Cg *c, const Node *nd, ConvGeo *g, const char **why)
{
	if (ir_conv_geo(c->g, nd, g) < 0)
		return !tgt_decline(why, "invalid geometry");
	if (g->pt < 0 || g->pl < 0)
		return !tgt_decline(why, "negative padding");
	return 0;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

void tgt_conv_padded(const ConvGeo *g, int64_t *Hp, int64_t *Wp)
{
	*Hp = max64(g->pt + g->H, (g->OH - 1) * g->sh + (g->KH - 1) * g->dh + 1);
	*Wp = max64(g->pl + g->W, (g->OW - 1) * g->sw + (g->KW - 1) * g->dw + 1);
}

LLVMValueRef tgt_const_packed(Cg *c, const char *tag, int n, unsigned char *buf, size_t len)
{
	char name[320];
	LLVMValueRef gv;

	snprintf(name, sizeof name, "%s.%s%d", c->name, tag, n);
	gv = tgt_const_bytes(c, name, buf, len);
	free(buf);
	return gv;
}

void tgt_put_le(unsigned char *p, uint32_t v, int bytes)
{
	for (int b = 0; b < bytes; b++)
		p[b] = (unsigned char)(v >> (8 * b));
}

LLVMValueRef tgt_fold_bias(Cg *c, const Node *nd, int64_t lanes, int64_t k, const char *tag, int n)
{
	const Graph *g = c->g;
	const Value *wv = &g->vals[nd->in[1]];
	const int8_t *w = wv->data;
	const int32_t *bias = nd->nin > 2 ? g->vals[nd->in[2]].data : NULL;
	int64_t O = wv->shape.d[0], per = ir_shape_numel(&wv->shape) / O;
	unsigned char *buf = ir_xcalloc((size_t)lanes, 4);

	for (int64_t o = 0; o < O; o++) {
		uint32_t s = 0;
		for (int64_t i = 0; k && i < per; i++)
			s += (uint32_t)(int32_t)w[o * per + i];
		tgt_put_le(buf + 4 * o, (bias ? (uint32_t)bias[o] : 0) - (uint32_t)k * s, 4);
	}
	return tgt_const_packed(c, tag, n, buf, (size_t)lanes * 4);
}

LLVMValueRef tgt_load_al(Cg *c, LLVMTypeRef t, LLVMValueRef p, unsigned align)
{
	LLVMValueRef v = LLVMBuildLoad2(c->b, t, p, "");

	LLVMSetAlignment(v, align);
	return v;
}
