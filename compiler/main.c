/* main.c — the quantc command: dispatches to a subcommand and maps the
 * outcome to the exit statuses of docs/cli.md (0, 1 bad input, 2 usage,
 * 70 internal error). */
#include <errno.h>
#include <string.h>

#include <llvm-c/Core.h>

#include "driver.h"

static void version(void)
{
	unsigned major, minor, patch;
	LLVMGetVersion(&major, &minor, &patch);
	printf("quantc %s (LLVM %u.%u.%u)\n", QUANTC_VERSION, major, minor, patch);
}

int main(int argc, char **argv)
{
	Diag d = {0};
	Options o = {0};
	int rc;

	if (argc < 2) {
		drv_help(stderr, NULL);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0) {
		version();
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		drv_help(stdout, NULL);
		return 0;
	}
	o.cmd = argv[1];
	/* whatever it writes, quantc never replaces a file it has read */
	ir_protect_inputs();
	int (*fn)(const Options *, Diag *) = NULL;
	if (strcmp(o.cmd, "compile") == 0)
		fn = cmd_compile;
	else if (strcmp(o.cmd, "run") == 0)
		fn = cmd_run;
	else if (strcmp(o.cmd, "inspect") == 0)
		fn = cmd_inspect;
	else if (strcmp(o.cmd, "opt") == 0)
		fn = cmd_opt;
	else if (strcmp(o.cmd, "trace-diff") == 0)
		fn = cmd_trace_diff;
	else if (strcmp(o.cmd, "report") == 0)
		fn = cmd_report;
	else {
		static const char *const cmds[] = {"compile",   "run",    "inspect",
		                                   "opt",       "report", "trace-diff",
		                                   "--version", "--help", NULL};
		const char *near = ir_suggest(o.cmd, cmds);
		if (near)
			fprintf(stderr, "quantc: unknown command '%s'; did you mean '%s'?\n", o.cmd,
			        near);
		else
			fprintf(stderr, "quantc: unknown command '%s'\n", o.cmd);
		drv_help(stderr, NULL);
		return EXIT_USAGE;
	}
	if ((rc = drv_parse_options(argc, argv, &o, &d)))
		return rc;
	d.quiet = o.quiet;
	/* every file the command writes is renamed into place at the end, all
	 * of them or (on any failure) none */
	int mark = ir_outputs_begin();
	rc = fn(&o, &d);
	/* what went to the standard output (opt, inspect, report) must be
	 * complete too: a full disk or /dev/full fails the command */
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		diag_error(&d, loc_none(), "cannot write the standard output: %s",
		           errno ? strerror(errno) : "write failed");
		if (rc == 0)
			rc = EXIT_INPUT;
	}
	if (rc == 0 && d.nerrors)
		rc = EXIT_INPUT;
	if (rc == 0) {
		if (ir_outputs_commit(mark, &d))
			rc = EXIT_INPUT;
	} else {
		ir_outputs_abort(mark);
	}
	diag_finish(&d);
	return rc;
}
