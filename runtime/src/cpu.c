/* cpu.c — qrt_x86_level: which x86-64 level the running CPU has (qrt.h),
 * for the default x86-64 object's choice of body.  The feature bits are
 * those of the x86-64 psABI's microarchitecture levels (CPUID leaves 1, 7
 * and 0x80000001), and a vector level counts only when XCR0 says the
 * operating system saves its registers (AVX: XMM and YMM state; AVX-512:
 * also opmask, ZMM_Hi256 and Hi16_ZMM). */
#include "qrt.h"

#if defined(__x86_64__) && defined(__GNUC__)

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
	                 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
	                 : "a"(leaf), "c"(sub));
}

/* every bit of mask set in v */
static int all(uint32_t v, uint32_t mask)
{
	return (v & mask) == mask;
}

#define BIT(n) ((uint32_t)1 << (n))

static int32_t detect(void)
{
	uint32_t r[4], max, ext_max, ecx1, ebx7 = 0, ecx7 = 0, ecx81 = 0, xcr0 = 0;
	int32_t level = QRT_X86_V1; /* SSE2 is part of x86-64 */

	cpuid(0, 0, r);
	max = r[0];
	cpuid(1, 0, r);
	ecx1 = r[2];
	if (max >= 7) {
		cpuid(7, 0, r);
		ebx7 = r[1];
		ecx7 = r[2];
	}
	cpuid(0x80000000u, 0, r);
	ext_max = r[0];
	if (ext_max >= 0x80000001u) {
		cpuid(0x80000001u, 0, r);
		ecx81 = r[2];
	}
	/* SSE3 0, SSSE3 9, CMPXCHG16B 13, SSE4.1 19, SSE4.2 20, POPCNT 23;
	 * LAHF/SAHF: leaf 0x80000001 ECX 0 */
	if (!all(ecx1, BIT(0) | BIT(9) | BIT(13) | BIT(19) | BIT(20) | BIT(23)) ||
	    !all(ecx81, BIT(0)))
		return level;
	level = QRT_X86_V2;
	/* FMA 12, MOVBE 22, XSAVE 26, OSXSAVE 27, AVX 28, F16C 29; leaf 7 EBX:
	 * BMI1 3, AVX2 5, BMI2 8; LZCNT: leaf 0x80000001 ECX 5 */
	if (!all(ecx1, BIT(12) | BIT(22) | BIT(26) | BIT(27) | BIT(28) | BIT(29)) ||
	    !all(ebx7, BIT(3) | BIT(5) | BIT(8)) || !all(ecx81, BIT(5)))
		return level;
	{
		uint32_t lo, hi;
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		(void)hi;
		xcr0 = lo;
	}
	if (!all(xcr0, BIT(1) | BIT(2))) /* SSE and AVX state */
		return level;
	level = QRT_X86_V3;
	/* AVX512F 16, DQ 17, CD 28, BW 30, VL 31; opmask, ZMM_Hi256, Hi16_ZMM state */
	if (!all(ebx7, BIT(16) | BIT(17) | BIT(28) | BIT(30) | BIT(31)) ||
	    !all(xcr0, BIT(5) | BIT(6) | BIT(7)))
		return level;
	level = QRT_X86_V4;
	if (all(ecx7, BIT(11))) /* AVX512_VNNI */
		level = QRT_X86_V4_VNNI;
	return level;
}

/* 0 until the first call has stored the answer */
static int32_t cached;

int32_t qrt_x86_level(void)
{
	int32_t v = __atomic_load_n(&cached, __ATOMIC_RELAXED);

	if (v == 0) {
		v = detect();
		__atomic_store_n(&cached, v, __ATOMIC_RELAXED);
	}
	return v;
}

#else

int32_t qrt_x86_level(void)
{
	return QRT_X86_NONE;
}

#endif
