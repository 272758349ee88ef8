/* target.c — the target table of docs/targets.md (one row per supported
 * triple: default CPU, features, ABI, relocation model, and the CPU and
 * feature names accepted for it), triple normalization, and creation of the
 * LLVM TargetMachine.
 *
 * LLVM only warns about a CPU or feature it does not know and then ignores
 * it, so quantc checks the names itself against hand-written lists and
 * reports an error listing the valid ones.
 */
#include <stdlib.h>
#include <string.h>

#include "targets.h"

typedef struct {
	const char *triple;   /* as users write it */
	const char *cpu;      /* default; "host": x86-64, whose default is the multi-ISA
	                         object (pick_cpu), and --mattr alone the host CPU */
	const char *features; /* default */
	const char *abi;      /* RISC-V: ABI family prefix, completed from the
	                         float features ("lp64" -> lp64d); else NULL */
	int pic;              /* Linux: position independent; bare metal: static */
	int aeabi;            /* LLVM would call __aeabi_memcpy & co. for copies */
	int ptr_bits;
	const char *const *cpus;  /* accepted --mcpu values */
	const char *const *feats; /* accepted --mattr names */
	const TgtKernel *const *kernels; /* conv2d and dense, in order of preference
	                                    (kernels.c's chooser) */
} Row;

static const char *const x86_cpus[] = {
        "x86-64",     "x86-64-v2",      "x86-64-v3",      "x86-64-v4",      "generic",
        "core2",      "nehalem",        "westmere",       "sandybridge",    "ivybridge",
        "haswell",    "broadwell",      "skylake",        "skylake-avx512", "cascadelake",
        "cooperlake", "cannonlake",     "icelake-client", "icelake-server", "tigerlake",
        "rocketlake", "alderlake",      "raptorlake",     "meteorlake",     "arrowlake",
        "lunarlake",  "sapphirerapids", "emeraldrapids",  "graniterapids",  "sierraforest",
        "grandridge", "goldmont",       "goldmont-plus",  "tremont",        "knl",
        "btver2",     "bdver1",         "bdver2",         "bdver3",         "bdver4",
        "znver1",     "znver2",         "znver3",         "znver4",         "znver5",
        NULL};
static const char *const x86_feats[] = {"sse2",
                                        "sse3",
                                        "ssse3",
                                        "sse4.1",
                                        "sse4.2",
                                        "popcnt",
                                        "avx",
                                        "avx2",
                                        "fma",
                                        "f16c",
                                        "bmi",
                                        "bmi2",
                                        "lzcnt",
                                        "movbe",
                                        "avx512f",
                                        "avx512cd",
                                        "avx512bw",
                                        "avx512dq",
                                        "avx512vl",
                                        "avx512vnni",
                                        "avx512bf16",
                                        "avx512fp16",
                                        "avx512vbmi",
                                        "avx512vbmi2",
                                        "avx512ifma",
                                        "avx512bitalg",
                                        "avx512vpopcntdq",
                                        "evex512",
                                        "avxvnni",
                                        "avxvnniint8",
                                        "avxvnniint16",
                                        "avxifma",
                                        "amx-tile",
                                        "amx-int8",
                                        "amx-bf16",
                                        "prefer-256-bit",
                                        NULL};
static const char *const a64_cpus[] = {
        "generic",     "cortex-a35",  "cortex-a53",  "cortex-a55",  "cortex-a57",   "cortex-a72",
        "cortex-a73",  "cortex-a75",  "cortex-a76",  "cortex-a77",  "cortex-a78",   "cortex-a510",
        "cortex-a520", "cortex-a710", "cortex-a715", "cortex-a720", "cortex-x1",    "cortex-x2",
        "cortex-x3",   "cortex-x4",   "neoverse-e1", "neoverse-n1", "neoverse-n2",  "neoverse-n3",
        "neoverse-v1", "neoverse-v2", "neoverse-v3", "ampere1",     "ampere1a",     "ampere1b",
        "apple-a14",   "apple-m4",    "a64fx",       "carmel",      "thunderx2t99", "tsv110",
        "oryon-1",     NULL};
static const char *const a64_feats[] = {
        "neon",    "fp-armv8", "crc",   "crypto", "aes",   "sha2",  "sha3", "dotprod", "fullfp16",
        "fp16fml", "i8mm",     "bf16",  "sve",    "sve2",  "sme",   "rcpc", "lse",     "rdm",
        "v8.1a",   "v8.2a",    "v8.3a", "v8.4a",  "v8.5a", "v8.6a", "v9a",  NULL};
static const char *const armv7_cpus[] = {"generic",    "cortex-a5",  "cortex-a7",  "cortex-a8",
                                         "cortex-a9",  "cortex-a12", "cortex-a15", "cortex-a17",
                                         "cortex-a32", "cortex-a35", "cortex-a53", "cortex-a55",
                                         "cortex-a57", "cortex-a72", "krait",      NULL};
static const char *const armm_cpus[] = {"cortex-m4", "cortex-m7", NULL};
static const char *const arm_feats[] = {
        "neon",     "vfp2",        "vfp3",          "vfp4", "vfp3d16", "vfp4d16",  "vfp4d16sp",
        "fp-armv8", "fp-armv8d16", "fp-armv8d16sp", "d32",  "fp16",    "fullfp16", "fp64",
        "dsp",      "hwdiv",       "hwdiv-arm",     "crc",  "crypto",  "aes",      "sha2",
        "dotprod",  "i8mm",        "strict-align",  NULL};
static const char *const rv64_cpus[] = {
        "generic-rv64", "generic",         "rocket-rv64",         "sifive-s51",
        "sifive-s54",   "sifive-s76",      "sifive-u54",          "sifive-u74",
        "sifive-x280",  "sifive-p450",     "sifive-p670",         "spacemit-x60",
        "veyron-v1",    "xiangshan-nanhu", "syntacore-scr3-rv64", NULL};
static const char *const rv32_cpus[] = {"generic-rv32",
                                        "generic",
                                        "rocket-rv32",
                                        "sifive-e20",
                                        "sifive-e21",
                                        "sifive-e24",
                                        "sifive-e31",
                                        "sifive-e34",
                                        "sifive-e76",
                                        "syntacore-scr1-base",
                                        "syntacore-scr1-max",
                                        "syntacore-scr3-rv32",
                                        NULL};
static const char *const rv_feats[] = {
        "m",      "a",      "f",       "d",       "c",       "v",      "zba",      "zbb",
        "zbc",    "zbs",    "zfh",     "zfhmin",  "zvfh",    "zve32x", "zve32f",   "zve64x",
        "zve64f", "zve64d", "zvl128b", "zvl256b", "zvl512b", "zicsr",  "zifencei", "zicond",
        "zmmul",  "zca",    "zcb",     "relax",   NULL};

/* The kernels each row offers; a kernel checks the CPU features it needs. */
static const TgtKernel *const x86_kernels[] = {&tgt_k_vnni_dw8_conv2d, &tgt_k_avx2_dw8_conv2d,
                                               &tgt_k_vnni_conv1x1, /* before the general conv */
                                               &tgt_k_vnni_conv2d,     &tgt_k_avx2_conv2d,
                                               &tgt_k_sse2_conv2d,     &tgt_k_f32_conv2d,
                                               &tgt_k_f32_dw_conv2d,   &tgt_k_vnni_dense,
                                               &tgt_k_avx2_dense,      &tgt_k_sse2_dense,
                                               &tgt_k_f32_dense,       NULL};
static const TgtKernel *const a64_kernels[] = {&tgt_k_neon_conv1x1, /* before the general conv */
                                               &tgt_k_neon_conv2d,        &tgt_k_neon_dense,
                                               &tgt_k_neon_f32_dw_conv2d, &tgt_k_neon_f32_conv2d,
                                               &tgt_k_f32_dense,          NULL};
static const TgtKernel *const armm_kernels[] = {&tgt_k_smlad_conv2d, &tgt_k_smlad_dw_conv2d,
                                                &tgt_k_smlad_dense, &tgt_k_f32_dense, NULL};
static const TgtKernel *const rv_kernels[] = {&tgt_k_rvv_conv2d, &tgt_k_f32_dense, &tgt_k_rvv_dense,
                                              &tgt_k_rvv_f32dw_conv2d, NULL};
static const TgtKernel *const plain_kernels[] = {&tgt_k_f32_dense, NULL};

static const Row rows[] = {
        {"x86_64-linux-gnu", "host", "", NULL, 1, 0, 64, x86_cpus, x86_feats, x86_kernels},
        {"aarch64-linux-gnu", "cortex-a72", "+neon", NULL, 1, 0, 64, a64_cpus, a64_feats,
         a64_kernels},
        {"armv7-linux-gnueabihf", "generic", "+neon", NULL, 1, 0, 32, armv7_cpus, arm_feats,
         plain_kernels},
        {"thumbv7em-none-eabihf", "cortex-m4", "+dsp", NULL, 0, 1, 32, armm_cpus, arm_feats,
         armm_kernels},
        {"riscv64-linux-gnu", "generic-rv64", "+m,+a,+f,+d,+c", "lp64", 1, 0, 64, rv64_cpus,
         rv_feats, rv_kernels},
        {"riscv32-unknown-elf", "generic-rv32", "+m,+a,+c", "ilp32", 0, 0, 32, rv32_cpus, rv_feats,
         rv_kernels},
};
enum { NROWS = sizeof rows / sizeof rows[0] };

static void init_llvm(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	LLVMInitializeX86TargetInfo();
	LLVMInitializeX86Target();
	LLVMInitializeX86TargetMC();
	LLVMInitializeX86AsmPrinter();
	LLVMInitializeAArch64TargetInfo();
	LLVMInitializeAArch64Target();
	LLVMInitializeAArch64TargetMC();
	LLVMInitializeAArch64AsmPrinter();
	LLVMInitializeARMTargetInfo();
	LLVMInitializeARMTarget();
	LLVMInitializeARMTargetMC();
	LLVMInitializeARMAsmPrinter();
	LLVMInitializeARMAsmParser(); /* kernel_armm.c's inline assembly */
	LLVMInitializeRISCVTargetInfo();
	LLVMInitializeRISCVTarget();
	LLVMInitializeRISCVTargetMC();
	LLVMInitializeRISCVAsmPrinter();
}

/* Normalized triple split into arch, vendor, os, environment; malloc'd. */
typedef struct {
	char *norm;
	char *part[4];
} Triple;

static void triple_split(Triple *t, const char *s)
{
	char *n = LLVMNormalizeTargetTriple(s);
	char *p;
	int i;

	t->norm = ir_xstrdup(n);
	LLVMDisposeMessage(n);
	p = ir_xstrdup(t->norm);
	for (i = 0; i < 4; i++) {
		t->part[i] = p;
		p = strchr(p, '-');
		if (p)
			*p++ = 0;
		else
			p = t->part[i] + strlen(t->part[i]); /* "" for missing parts */
	}
}

static void triple_free(Triple *t)
{
	free(t->norm);
	free(t->part[0]);
}

/* The vendor field never changes code generation for these triples. */
static int triple_match(const Triple *a, const Triple *b)
{
	return strcmp(a->part[0], b->part[0]) == 0 && strcmp(a->part[2], b->part[2]) == 0 &&
	       strcmp(a->part[3], b->part[3]) == 0;
}

static const Row *find_row(const char *triple)
{
	Triple want, have;
	const Row *r = NULL;

	triple_split(&want, triple);
	for (int i = 0; i < NROWS && !r; i++) {
		triple_split(&have, rows[i].triple);
		if (triple_match(&want, &have))
			r = &rows[i];
		triple_free(&have);
	}
	triple_free(&want);
	return r;
}

static int in_list(const char *const *list, const char *s, size_t n)
{
	for (; *list; list++)
		if (strlen(*list) == n && strncmp(*list, s, n) == 0)
			return 1;
	return 0;
}

/* "a, b, c" into a malloc'd string. */
static char *join(const char *const *list)
{
	size_t n = 1;
	char *s;

	for (const char *const *p = list; *p; p++)
		n += strlen(*p) + 2;
	s = ir_xmalloc(n);
	s[0] = 0;
	for (const char *const *p = list; *p; p++) {
		if (p != list)
			strcat(s, ", ");
		strcat(s, *p);
	}
	return s;
}

static int check_features(const Row *r, const char *fs, Diag *d)
{
	const char *p = fs;
	int bad = 0;

	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n == 0 || (p[0] != '+' && p[0] != '-') || !in_list(r->feats, p + 1, n - 1)) {
			char *valid = join(r->feats);
			diag_error(
			        d, loc_none(),
			        "unknown feature '%.*s' for %s (write +name or -name; valid names: %s)",
			        (int)n, p, r->triple, valid);
			free(valid);
			bad = 1;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return bad;
}

/* RISC-V: the float ABI follows the float extensions finally enabled, so the
 * TargetMachine never meets an ABI its features cannot honour. */
static const char *riscv_abi(const Row *r, const char *fs)
{
	int f = 0, dd = 0;
	const char *p = fs;

	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n == 2 && p[1] == 'f') { /* -f takes d with it */
			f = p[0] == '+';
			dd = dd && f;
		}
		if (n == 2 && p[1] == 'd') { /* +d brings f */
			dd = p[0] == '+';
			f = f || dd;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (r->ptr_bits == 64)
		return dd ? "lp64d" : f ? "lp64f" : "lp64";
	return dd ? "ilp32d" : f ? "ilp32f" : "ilp32";
}

static char *concat_features(const char *a, const char *b)
{
	size_t na = a ? strlen(a) : 0, nb = b ? strlen(b) : 0;
	char *s = ir_xmalloc(na + nb + 2);

	s[0] = 0;
	if (na)
		strcat(s, a);
	if (na && nb)
		strcat(s, ",");
	if (nb)
		strcat(s, b);
	return s;
}

static int host_arch_is(const Row *r)
{
	char *h = LLVMGetDefaultTargetTriple();
	Triple ht, rt;
	int same;

	triple_split(&ht, h);
	triple_split(&rt, r->triple);
	same = strcmp(ht.part[0], rt.part[0]) == 0;
	triple_free(&ht);
	triple_free(&rt);
	LLVMDisposeMessage(h);
	return same;
}

static int pick_cpu(TgtMachine *m, const Row *r, const TgtOptions *o, int host, char **hostfs,
                    int *multi, Diag *d)
{
	const char *cpu = o->cpu;

	*hostfs = NULL;
	if (cpu && strcmp(cpu, "native") == 0) {
		if (!host_arch_is(r)) {
			diag_error(d, loc_none(), "--mcpu native: the host cannot run %s code",
			           r->triple);
			return 1;
		}
		host = 1, cpu = NULL;
	} else if (!cpu && strcmp(r->cpu, "host") == 0 && !(o->features && *o->features)) {
		/* x86-64 without --mcpu or --mattr: the multi-ISA object, from
		 * any host (tgt_x86_levels at the end of tgt_machine_new) */
		*multi = 1;
		m->cpu = ir_xstrdup("x86-64");
		return 0;
	}
	if (!cpu && (host || (strcmp(r->cpu, "host") == 0 && host_arch_is(r)))) {
		char *c = LLVMGetHostCPUName(), *f = LLVMGetHostCPUFeatures();
		m->cpu = ir_xstrdup(c);
		*hostfs = ir_xstrdup(f);
		LLVMDisposeMessage(c);
		LLVMDisposeMessage(f);
		return 0;
	}
	if (!cpu)
		cpu = strcmp(r->cpu, "host") == 0 ? r->cpus[0] : r->cpu;
	else if (!in_list(r->cpus, cpu, strlen(cpu))) {
		char *valid = join(r->cpus);
		diag_error(d, loc_none(), "unknown CPU '%s' for %s (valid: %s%s)", cpu, r->triple,
		           host_arch_is(r) ? "native, " : "", valid);
		free(valid);
		return 1;
	}
	m->cpu = ir_xstrdup(cpu);
	return 0;
}

/* The sign of the last +name / -name in features fs; dflt if none. */
static int feature_on(const char *fs, const char *name, int dflt)
{
	size_t n = strlen(name);
	int on = dflt;

	for (const char *p = fs; *p;) {
		const char *e = strchr(p, ',');
		size_t k = e ? (size_t)(e - p) : strlen(p);
		if (k == n + 1 && strncmp(p + 1, name, n) == 0)
			on = p[0] == '+';
		p += k;
		if (*p == ',')
			p++;
	}
	return on;
}

/* Hardware floating point for row r with the final features fs: RISC-V
 * with F (or D), the hard-float ARM triples (*hf), AArch64 unless its FP
 * is turned off, x86-64 always.  A soft-float ARM triple counts as
 * integer-only, like rv32imac. */
static int has_fpu(const Row *r, const char *fs)
{
	Triple t;
	int fpu;

	if (r->abi) {
		const char *abi = riscv_abi(r, fs);
		return abi[strlen(abi) - 1] == 'f' || abi[strlen(abi) - 1] == 'd';
	}
	triple_split(&t, r->triple);
	if (strcmp(t.part[0], "aarch64") == 0)
		fpu = feature_on(fs, "fp-armv8", 1);
	else if (strcmp(t.part[0], "x86_64") == 0)
		fpu = 1;
	else
		fpu = strlen(t.part[3]) >= 2 &&
		      strcmp(t.part[3] + strlen(t.part[3]) - 2, "hf") == 0;
	triple_free(&t);
	return fpu;
}

static LLVMCodeGenOptLevel cg_level(int o)
{
	switch (o) {
	case 0: return LLVMCodeGenLevelNone;
	case 1: return LLVMCodeGenLevelLess;
	case 3: return LLVMCodeGenLevelAggressive;
	default: return LLVMCodeGenLevelDefault;
	}
}

int tgt_machine_new(TgtMachine *m, const TgtOptions *o, Diag *d)
{
	const Row *r;
	char *hostfs = NULL, *deftriple = NULL, *err = NULL;
	int multi = 0;
	const char *triple = o->triple;
	LLVMTargetRef target;
	LLVMTargetMachineOptionsRef mo;
	Triple t;

	memset(m, 0, sizeof *m);
	init_llvm();
	if (!triple)
		triple = deftriple = LLVMGetDefaultTargetTriple();
	r = find_row(triple);
	if (!r) {
		size_t n = 1;
		for (int i = 0; i < NROWS; i++)
			n += strlen(rows[i].triple) + 2;
		char *valid = ir_xmalloc(n);
		valid[0] = 0;
		for (int i = 0; i < NROWS; i++) {
			if (i)
				strcat(valid, ", ");
			strcat(valid, rows[i].triple);
		}
		diag_error(d, loc_none(), "unsupported target '%s'%s (supported: %s)", triple,
		           o->triple ? "" : " (the host; use --target)", valid);
		free(valid);
		if (deftriple)
			LLVMDisposeMessage(deftriple);
		return 1;
	}
	triple_split(&t, triple);
	m->triple = ir_xstrdup(t.norm);
	triple_free(&t);
	if (deftriple)
		LLVMDisposeMessage(deftriple);
	m->ptr_bits = r->ptr_bits;
	m->riscv = r->abi != NULL;
	m->plain_mem = r->aeabi;
	if (pick_cpu(m, r, o, o->triple == NULL, &hostfs, &multi, d))
		goto fail;
	if (o->features && check_features(r, o->features, d))
		goto fail;
	m->features = concat_features(hostfs ? hostfs : r->features, o->features);
	m->abi = r->abi ? riscv_abi(r, m->features) : "";
	m->row = r->triple;
	m->kernels = r->kernels;
	m->fpu = has_fpu(r, m->features);

	if (LLVMGetTargetFromTriple(m->triple, &target, &err)) {
		diag_error(d, loc_none(), "LLVM has no backend for '%s': %s", m->triple, err);
		LLVMDisposeMessage(err);
		goto fail;
	}
	mo = LLVMCreateTargetMachineOptions();
	LLVMTargetMachineOptionsSetCPU(mo, m->cpu);
	LLVMTargetMachineOptionsSetFeatures(mo, m->features);
	if (*m->abi)
		LLVMTargetMachineOptionsSetABI(mo, m->abi);
	LLVMTargetMachineOptionsSetCodeGenOptLevel(mo, cg_level(o->opt_level));
	LLVMTargetMachineOptionsSetRelocMode(mo, r->pic ? LLVMRelocPIC : LLVMRelocStatic);
	m->tm = LLVMCreateTargetMachineWithOptions(target, m->triple, mo);
	LLVMDisposeTargetMachineOptions(mo);
	if (!m->tm) {
		diag_error(d, loc_none(), "LLVM cannot create a target machine for '%s' (cpu %s)",
		           m->triple, m->cpu);
		goto fail;
	}
	if (multi)
		tgt_x86_levels(m);
	free(hostfs);
	return 0;
fail:
	free(hostfs);
	tgt_machine_free(m);
	return 1;
}

void tgt_machine_free(TgtMachine *m)
{
	if (m->tm)
		LLVMDisposeTargetMachine(m->tm);
	for (int i = 0; i < m->nlevels; i++) {
		free(m->levels[i].cpu);
		free(m->levels[i].features);
	}
	free(m->levels);
	free(m->triple);
	free(m->cpu);
	free(m->features);
	memset(m, 0, sizeof *m);
}

int tgt_list(FILE *f)
{
	for (int i = 0; i < NROWS; i++) {
		const Row *r = &rows[i];
		const char *abi = r->abi ? riscv_abi(r, r->features) : NULL;

		if (strcmp(r->cpu, "host") == 0)
			fprintf(f, "%-24s cpu=%s (each, chosen at run time)", r->triple,
			        tgt_x86_levels_text);
		else
			fprintf(f, "%-24s cpu=%s", r->triple, r->cpu);
		if (*r->features)
			fprintf(f, " features=%s", r->features);
		if (abi)
			fprintf(f, " abi=%s", abi);
		fprintf(f, " %s\n", r->pic ? "pic" : "static");
	}
	return 0;
}
