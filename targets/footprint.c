/* footprint.c — what a compiled model costs on its target: code, read-only
 * data (flash on a microcontroller) and arena (RAM), read from the sections
 * of the object file LLVM produced, so the figures are the target's own. */
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Object.h>

#include "targets.h"

static int starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int tgt_footprint(Graph *g, const TgtOptions *o, TgtFootprint *fp, Diag *d)
{
	char *obj = NULL, *err = NULL;
	size_t len = 0;

	memset(fp, 0, sizeof *fp);
	if (tgt_compile_object(g, o, &obj, &len, d))
		return 1;
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMMemoryBufferRef buf = LLVMCreateMemoryBufferWithMemoryRange(obj, len, "model.o", 0);
	LLVMBinaryRef bin = LLVMCreateBinary(buf, ctx, &err);
	if (!bin)
		ICE("cannot read back the generated object: %s", err ? err : "?");
	LLVMSectionIteratorRef it = LLVMObjectFileCopySectionIterator(bin);
	for (; !LLVMObjectFileIsSectionIteratorAtEnd(bin, it); LLVMMoveToNextSection(it)) {
		const char *name = LLVMGetSectionName(it);
		int64_t size = (int64_t)LLVMGetSectionSize(it);
		if (!name || starts(name, ".rel") || starts(name, ".note") ||
		    starts(name, ".comment") || starts(name, ".ARM.attributes") ||
		    starts(name, ".riscv.attributes") || starts(name, ".llvm") ||
		    starts(name, ".symtab") || starts(name, ".strtab") ||
		    starts(name, ".shstrtab") || starts(name, ".eh_frame") ||
		    starts(name, ".ARM.ex"))
			continue;
		if (starts(name, ".text"))
			fp->code += size;
		else if (starts(name, ".rodata") || starts(name, ".srodata"))
			fp->rodata += size;
		else if (starts(name, ".data") || starts(name, ".sdata"))
			fp->data += size;
		else if (starts(name, ".bss") || starts(name, ".sbss"))
			fp->bss += size;
	}
	for (int v = 0; v < g->nval; v++)
		if (g->vals[v].kind == VK_CONST)
			fp->weights += ir_value_bytes(&g->vals[v]);
	fp->arena = g->arena_size;
	LLVMDisposeSectionIterator(it);
	LLVMDisposeBinary(bin);
	LLVMDisposeMemoryBuffer(buf);
	LLVMContextDispose(ctx);
	free(obj);
	return 0;
}
