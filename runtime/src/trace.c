/* trace.c — the default qrt_trace of the debug twin: does nothing.  An object
 * compiled with `quantc compile --instrument` calls qrt_trace after every
 * layer; a program that wants the tensors defines its own qrt_trace, which
 * takes the place of this weak definition at link time (with libqrt.a this
 * member is then never pulled in; linked as an object, the strong definition
 * wins).  Uninstrumented objects never call it. */
#include "qrt.h"

__attribute__((weak)) void qrt_trace(uint32_t layer_id, const void *data, uint32_t bytes)
{
	(void)layer_id;
	(void)data;
	(void)bytes;
}

/* An NHWC tensor (layout = nhwc: [N][pixels][channels] elements of
 * elem_bytes) transposed into buf as the model's NCHW, [N][channels][pixels],
 * then traced: the trace always holds the model's layout.  Weak as well: a
 * program that only times the layers (bench/time_model.c) skips the
 * transpose. */
__attribute__((weak)) void qrt_trace_nhwc(uint32_t layer_id, const void *data, uint32_t bytes,
                                          void *buf, uint32_t channels, uint32_t pixels,
                                          uint32_t elem_bytes)
{
	const unsigned char *src = data;
	unsigned char *dst = buf;
	uint32_t plane = channels * pixels * elem_bytes;

	for (uint32_t n = 0; n < bytes / plane; n++)
		for (uint32_t c = 0; c < channels; c++)
			for (uint32_t p = 0; p < pixels; p++)
				for (uint32_t b = 0; b < elem_bytes; b++)
					dst[n * plane + (c * pixels + p) * elem_bytes + b] =
					        src[n * plane + (p * channels + c) * elem_bytes + b];
	qrt_trace(layer_id, buf, bytes);
}
