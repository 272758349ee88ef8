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
