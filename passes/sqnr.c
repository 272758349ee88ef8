/* sqnr.c — the signal-to-quantization-noise ratio, the one measure of
 * quantization error that --precision auto targets and `quantc report`
 * prints: both call pass_sqnr_db, so they agree on every value. */
#include <math.h>

#include "passes.h"

double pass_sqnr_db(double signal, double noise)
{
	if (noise == 0)
		return INFINITY; /* no error at all, even on a zero signal */
	if (!(signal > 0))
		return -INFINITY; /* all noise */
	return 10 * log10(signal / noise);
}
