/* x86_isa.c — which instruction sets a TgtMachine has, for the target
 * kernels: x86-64's AVX-512 VNNI, AVX2 and f32 vector lanes, AArch64's NEON
 * and dotprod, RISC-V's V, Armv7E-M's DSP; and the levels of the default
 * multi-ISA x86-64 object.
 *
 * The C API cannot ask LLVM which features a CPU implies, so a CPU's
 * defaults come from hand-written lists (LLVM 19's), and the feature string
 * (the host's own features, or the user's --mattr after the row's) decides
 * when it names the feature.  The answer errs towards "no": a kernel that
 * is not used costs speed, an intrinsic the CPU lacks cannot be compiled.
 */
#include <string.h>

#include "targets.h"

int tgt_feature_sign(const char *fs, const char *name)
{
	size_t n = strlen(name);
	int sign = -1;

	for (const char *p = fs; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n + 1 && (p[0] == '+' || p[0] == '-') && strncmp(p + 1, name, n) == 0)
			sign = p[0] == '+';
		p = e ? e + 1 : NULL;
	}
	return sign;
}

int tgt_cpu_in(const char *cpu, const char *const *list)
{
	for (int i = 0; cpu && list[i]; i++)
		if (strcmp(cpu, list[i]) == 0)
			return 1;
	return 0;
}

/* The CPUs LLVM 19 gives avx512vnni by default. */
static const char *const vnni_cpus[] = {
        "cascadelake",
        "cooperlake",
        "icelake-client",
        "icelake-server",
        "tigerlake",
        "rocketlake",
        "sapphirerapids",
        "emeraldrapids",
        "graniterapids",
        "graniterapids-d",
        "znver4",
        "znver5",
        NULL,
};

/* The CPUs LLVM 19 gives avx2 by default (checked with llc-19: each one
 * selects llvm.x86.avx2.pmadd.ub.sw). */
static const char *const avx2_cpus[] = {
        "x86-64-v3",     "x86-64-v4",       "haswell",        "broadwell",
        "skylake",       "skylake-avx512",  "cascadelake",    "cooperlake",
        "cannonlake",    "icelake-client",  "icelake-server", "tigerlake",
        "rocketlake",    "alderlake",       "raptorlake",     "meteorlake",
        "arrowlake",     "lunarlake",       "sapphirerapids", "emeraldrapids",
        "graniterapids", "graniterapids-d", "sierraforest",   "grandridge",
        "knl",           "bdver4",          "znver1",         "znver2",
        "znver3",        "znver4",          "znver5",         NULL,
};

static int is_x86_64(const TgtMachine *m)
{
	return strncmp(m->triple, "x86_64", 6) == 0;
}

int tgt_x86_vnni(const TgtMachine *m)
{
	int s;

	if (!is_x86_64(m) || tgt_feature_sign(m->features, "avx512f") == 0)
		return 0;
	s = tgt_feature_sign(m->features, "avx512vnni");
	return s >= 0 ? s : tgt_cpu_in(m->cpu, vnni_cpus);
}

/* The CPUs LLVM 19 gives avx512vbmi by default. */
static const char *const vbmi_cpus[] = {
        "cannonlake",      "icelake-client", "icelake-server", "tigerlake",
        "rocketlake",      "sapphirerapids", "emeraldrapids",  "graniterapids",
        "graniterapids-d", "znver4",         "znver5",         NULL,
};

int tgt_x86_vbmi(const TgtMachine *m)
{
	int s;

	if (!tgt_x86_avx512bw(m))
		return 0;
	s = tgt_feature_sign(m->features, "avx512vbmi");
	return s >= 0 ? s : tgt_cpu_in(m->cpu, vbmi_cpus);
}

int tgt_x86_avx2(const TgtMachine *m)
{
	int s;

	/* -avx takes avx2 with it */
	if (!is_x86_64(m) || tgt_feature_sign(m->features, "avx") == 0)
		return 0;
	s = tgt_feature_sign(m->features, "avx2");
	return s >= 0 ? s : tgt_cpu_in(m->cpu, avx2_cpus);
}

/* The CPUs LLVM 19 gives ssse3 by default beyond the AVX2 ones: the
 * x86-64-v2 level and the pre-AVX2 cores from Core 2 on. */
static const char *const ssse3_cpus[] = {
        "x86-64-v2", "core2",  "penryn",     "nehalem", "westmere", "sandybridge",   "ivybridge",
        "bonnell",   "atom",   "silvermont", "slm",     "goldmont", "goldmont-plus", "tremont",
        "btver2",    "bdver1", "bdver2",     "bdver3",  NULL,
};

int tgt_x86_sse2(const TgtMachine *m)
{
	return is_x86_64(m) && tgt_feature_sign(m->features, "sse2") != 0;
}

int tgt_x86_ssse3(const TgtMachine *m)
{
	int s;

	if (!tgt_x86_sse2(m))
		return 0;
	s = tgt_feature_sign(m->features, "ssse3");
	return s >= 0 ? s : tgt_cpu_in(m->cpu, ssse3_cpus) || tgt_x86_avx2(m);
}

/* The default x86-64 object's levels, ascending.  Each is a psABI level
 * (the VNNI one x86-64-v4 plus AVX512_VNNI, the feature its int8 kernel
 * needs, which Cascade Lake, Ice Lake, Sapphire Rapids and Zen 4 have);
 * qrt_x86_level (runtime/src/cpu.c) checks exactly these features.  The
 * CPUs are LLVM's generic level names, so the object is the same whatever
 * machine compiles it.  x86-64-v4 tunes for 256-bit vectors (Skylake-SP's
 * down-clocking): -prefer-256-bit lets LLVM vectorize the generic loops on
 * 512 bits, as the VNNI kernel does anyway and as Zen 4 and later prefer
 * (on 256 bits the MLP's int8 dense layers, generic loops, were clearly
 * slower than --mcpu native's in bench/run.sh). */
static const struct {
	const char *tag, *cpu, *features;
	int qrt_level; /* qrt.h's QRT_X86_V1, _V3, _V4_VNNI */
} levels[] = {
        {"v1", "x86-64", "", 1},
        {"v3", "x86-64-v3", "", 3},
        {"v4vnni", "x86-64-v4", "+avx512vnni,-prefer-256-bit", 5},
};
enum { NLEVELS = sizeof levels / sizeof levels[0] };

const char tgt_x86_levels_text[] = "x86-64, x86-64-v3, x86-64-v4+avx512vnni";

void tgt_x86_levels(TgtMachine *m)
{
	m->nlevels = NLEVELS;
	m->levels = ir_xcalloc(NLEVELS, sizeof *m->levels);
	for (int i = 0; i < NLEVELS; i++) {
		TgtMachine *l = &m->levels[i];
		*l = *m;
		l->cpu = ir_xstrdup(levels[i].cpu);
		l->features = ir_xstrdup(levels[i].features);
		l->tm = NULL;
		l->nlevels = 0;
		l->levels = NULL;
		l->qrt_level = levels[i].qrt_level;
		l->tag = levels[i].tag;
	}
}

int tgt_x86_f32_lanes(const TgtMachine *m)
{
	static const char *const avx512[] = {
	        "skylake-avx512", "cascadelake",    "cooperlake",    "cannonlake",
	        "icelake-client", "icelake-server", "tigerlake",     "rocketlake",
	        "sapphirerapids", "emeraldrapids",  "graniterapids", "graniterapids-d",
	        "znver4",         "znver5",         "x86-64-v4",     NULL,
	};
	static const char *const avx2[] = {
	        "haswell",   "broadwell",   "skylake",   "alderlake", "raptorlake",   "meteorlake",
	        "arrowlake", "arrowlake-s", "lunarlake", "gracemont", "sierraforest", "grandridge",
	        "znver1",    "znver2",      "znver3",    "x86-64-v3", NULL,
	};
	int f;

	if (!is_x86_64(m))
		return 0;
	f = tgt_feature_sign(m->features, "avx512f");
	if (f == 1 || (f < 0 && tgt_cpu_in(m->cpu, avx512)))
		return 16;
	f = tgt_feature_sign(m->features, "avx2");
	if (f == 1 || (f < 0 && (tgt_cpu_in(m->cpu, avx2) || tgt_cpu_in(m->cpu, avx512))))
		return 8;
	return 0;
}

int tgt_x86_avx512bw(const TgtMachine *m)
{
	/* every CPU of tgt_x86_f32_lanes' AVX-512 list has BW */
	return tgt_x86_f32_lanes(m) == 16 && tgt_feature_sign(m->features, "avx512bw") != 0;
}

/* ---- AArch64, RISC-V, Armv7E-M --------------------------------------------- */

/* The CPUs of target.c's list that LLVM 19 gives dotprod by default
 * (checked with llvm-mc-19 -mcpu=... on an sdot). */
static const char *const dotprod_cpus[] = {
        "cortex-a55",  "cortex-a75",  "cortex-a76",  "cortex-a77",  "cortex-a78",  "cortex-a510",
        "cortex-a520", "cortex-a710", "cortex-a715", "cortex-a720", "cortex-x1",   "cortex-x2",
        "cortex-x3",   "cortex-x4",   "neoverse-e1", "neoverse-n1", "neoverse-n2", "neoverse-n3",
        "neoverse-v1", "neoverse-v2", "neoverse-v3", "ampere1",     "ampere1a",    "ampere1b",
        "apple-a14",   "apple-m4",    "tsv110",      "oryon-1",     NULL,
};

int tgt_neon_variant(const TgtMachine *m)
{
	static const char *const v84[] = {"v8.4a", "v8.5a", "v8.6a", "v9a", NULL};
	int s;

	if (strncmp(m->triple, "aarch64", 7) != 0)
		return -1;
	if (tgt_feature_sign(m->features, "neon") == 0 ||
	    tgt_feature_sign(m->features, "fp-armv8") == 0)
		return -1;
	s = tgt_feature_sign(m->features, "dotprod");
	if (s >= 0)
		return s;
	for (int i = 0; v84[i]; i++)
		if (tgt_feature_sign(m->features, v84[i]) == 1)
			return 1;
	return tgt_cpu_in(m->cpu, dotprod_cpus);
}

/* "+v", or one of the CPUs LLVM 19 gives V by default. */
int tgt_rvv(const TgtMachine *m)
{
	static const char *const cpus[] = {"sifive-x280", "sifive-p670", "spacemit-x60", NULL};
	int on;

	if (strncmp(m->triple, "riscv", 5) != 0)
		return 0;
	on = tgt_feature_sign(m->features, "v");
	return on >= 0 ? on : tgt_cpu_in(m->cpu, cpus);
}

/* "+dsp" (the table's default for that row) and not "-dsp" after it. */
int tgt_armm_dsp(const TgtMachine *m)
{
	return strncmp(m->triple, "thumbv7em", 9) == 0 && tgt_feature_sign(m->features, "dsp") == 1;
}
