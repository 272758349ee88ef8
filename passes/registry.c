/* registry.c — the table of passes, built from passes.def. */
#include <string.h>

#include "passes.h"

const PassInfo pass_table[] = {
#define PASS(name, fn, help) {name, fn, help},
#include "passes.def"
#undef PASS
};
const int pass_count = sizeof pass_table / sizeof pass_table[0];

const PassInfo *pass_find(const char *name)
{
	for (int i = 0; i < pass_count; i++)
		if (strcmp(pass_table[i].name, name) == 0)
			return &pass_table[i];
	return NULL;
}
