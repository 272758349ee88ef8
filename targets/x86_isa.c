/* x86_isa.c — which x86-64 instruction sets a TgtMachine has, for the
 * target kernels (kernel_x86.c: AVX-512 VNNI, kernel_avx2.c: AVX2).
 *
 * The C API cannot ask LLVM which features a CPU implies, so a CPU's
 * defaults come from hand-written lists (LLVM 19's), and the feature string
 * (the host's own features, or the user's --mattr after the row's) decides
 * when it names the feature.  The answer errs towards "no": a kernel that
 * is not used costs speed, an intrinsic the CPU lacks cannot be compiled.
 */
#include <string.h>

#include "targets.h"

/* The sign of the last "+name" or "-name" in the feature list fs: 1, 0, or
 * -1 when it is not there. */
static int feature_sign(const char *fs, const char *name)
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

static int cpu_in(const char *cpu, const char *const *list)
{
	for (int i = 0; cpu && list[i]; i++)
		if (strcmp(cpu, list[i]) == 0)
			return 1;
	return 0;
}

/* The CPUs LLVM 19 gives avx512vnni by default. */
static const char *const vnni_cpus[] = {
	"cascadelake", "cooperlake", "icelake-client", "icelake-server", "tigerlake",
	"rocketlake", "sapphirerapids", "emeraldrapids", "graniterapids", "graniterapids-d",
	"znver4", "znver5", NULL,
};

/* The CPUs LLVM 19 gives avx2 by default (checked with llc-19: each one
 * selects llvm.x86.avx2.pmadd.ub.sw). */
static const char *const avx2_cpus[] = {
	"x86-64-v3", "x86-64-v4", "haswell", "broadwell", "skylake", "skylake-avx512",
	"cascadelake", "cooperlake", "cannonlake", "icelake-client", "icelake-server",
	"tigerlake", "rocketlake", "alderlake", "raptorlake", "meteorlake", "arrowlake",
	"lunarlake", "sapphirerapids", "emeraldrapids", "graniterapids", "graniterapids-d",
	"sierraforest", "grandridge", "knl", "bdver4", "znver1", "znver2", "znver3",
	"znver4", "znver5", NULL,
};

static int is_x86_64(const TgtMachine *m)
{
	return strncmp(m->triple, "x86_64", 6) == 0;
}

int tgt_x86_vnni(const TgtMachine *m)
{
	int s;

	if (!is_x86_64(m) || feature_sign(m->features, "avx512f") == 0)
		return 0;
	s = feature_sign(m->features, "avx512vnni");
	return s >= 0 ? s : cpu_in(m->cpu, vnni_cpus);
}

int tgt_x86_avx2(const TgtMachine *m)
{
	int s;

	/* -avx takes avx2 with it */
	if (!is_x86_64(m) || feature_sign(m->features, "avx") == 0)
		return 0;
	s = feature_sign(m->features, "avx2");
	return s >= 0 ? s : cpu_in(m->cpu, avx2_cpus);
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
