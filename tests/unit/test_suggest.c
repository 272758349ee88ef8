/* test_suggest.c — ir_edit_distance and ir_suggest, the "did you mean" of
 * every unknown option, command, op, attribute, value and pass name. */
#include <string.h>

#include "ir.h"
#include "check.h"

static int same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

int main(void)
{
	static const struct {
		const char *a, *b;
		int d;
	} dist[] = {
	        {"", "", 0},
	        {"abc", "", 3},
	        {"", "abc", 3},
	        {"conv2d", "conv2d", 0},
	        {"conv2", "conv2d", 1},
	        {"cnov2d", "conv2d", 1},
	        {"reul", "relu", 1},
	        {"kitten", "sitting", 3},
	        {"--calb", "--calib", 1},
	        {"stirde", "stride", 1},
	        {"ca", "abc", 3},
	};
	for (size_t i = 0; i < sizeof dist / sizeof dist[0]; i++) {
		int d = ir_edit_distance(dist[i].a, dist[i].b);
		check(d == dist[i].d, "distance('%s', '%s') = %d (want %d)", dist[i].a, dist[i].b,
		      d, dist[i].d);
	}
	static const char *const opts[] = {"--calib",       "--calibration", "--config", "--input",
	                                   "--input-shape", "--precision",   NULL};
	static const char *const ops[] = {"conv2d",    "dense",     "relu", "relu6",
	                                  "maxpool2d", "avgpool2d", NULL};
	static const char *const names[] = {"w1", "w2", NULL};
	static const struct {
		const char *word, *const *list, *want;
	} sug[] = {
	        {"--calb", opts, "--calib"},
	        {"--calibraton", opts, "--calibration"},
	        {"--precison", opts, "--precision"},
	        {"--inputs", opts, "--input"},
	        {"--frobnicate", opts, NULL},
	        {"conv", ops, "conv2d"},
	        {"conv3d", ops, "conv2d"},
	        {"reul", ops, "relu"},
	        {"maxpool", ops, "maxpool2d"},
	        {"softmax", ops, NULL},
	        {"x", ops, NULL},
	        {"relu", ops, NULL} /* a candidate itself: no typo */,
	        {"w3", names, "w1"},
	        {"w", names, NULL} /* one character: no guess */,
	};
	for (size_t i = 0; i < sizeof sug / sizeof sug[0]; i++) {
		const char *got = ir_suggest(sug[i].word, sug[i].list);
		check(same(got, sug[i].want), "suggestion for '%s': %s (want %s)", sug[i].word,
		      got ? got : "none", sug[i].want ? sug[i].want : "none");
	}
	return check_report();
}
