/* check.h — the unit tests' one assertion: prints "ok: ..." or "FAIL: ..."
 * for every property checked and counts them; check_report() prints the
 * closing "N passed, N failed" line and gives the exit status. */
#ifndef QUANTC_CHECK_H
#define QUANTC_CHECK_H

#include <stdarg.h>
#include <stdio.h>

static int npass, nfail;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3), unused));
static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (ok)
		npass++;
	else
		nfail++;
}

static int check_report(void) __attribute__((unused));
static int check_report(void)
{
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail != 0;
}

#endif
