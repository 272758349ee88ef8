/* progress.c — the progress bar of long steps (calibration, bias correction,
 * the mixed-precision search, ...).
 *
 * It is for a person watching a terminal, so it never appears in a pipe, a
 * log file or a test's captured stderr, nor under -q, nor for a step that
 * ends within half a second.  It redraws at most ten times a second on one
 * line ("\r" then the bar), and wipes that line when the step ends, so that
 * what follows starts on a clean line.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ir.h"

enum { BAR = 30 };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_begin(Progress *p, const Diag *d, const char *what, int64_t total)
{
	memset(p, 0, sizeof *p);
	p->what = what;
	p->total = total;
	/* a Diag writing somewhere else than stderr is a test or a library user */
	p->on = total > 0 && !(d && (d->quiet || d->out)) && isatty(STDERR_FILENO);
	if (p->on)
		p->t0 = p->last = now();
}

void progress_step(Progress *p, int64_t done)
{
	char bar[BAR + 1];
	double t;
	int fill;

	if (!p->on)
		return;
	t = now();
	if (t - p->t0 < 0.5 || (p->drawn && t - p->last < 0.1 && done < p->total))
		return;
	if (done > p->total)
		done = p->total;
	fill = (int)(BAR * done / p->total);
	memset(bar, '=', (size_t)fill);
	memset(bar + fill, ' ', (size_t)(BAR - fill));
	bar[BAR] = 0;
	fprintf(stderr, "\r%s %lld/%lld [%s] %3d%%", p->what, (long long)done, (long long)p->total,
	        bar, (int)(100 * done / p->total));
	fflush(stderr);
	p->drawn = 1;
	p->last = t;
}

void progress_end(Progress *p)
{
	if (p->on && p->drawn) {
		/* ESC [ K clears to the end of the line: the bar leaves no trace */
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->on = p->drawn = 0;
}
