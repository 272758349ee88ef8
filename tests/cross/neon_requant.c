/* neon_requant.c — checks the identity targets/kernel_neon.c's vector
 * requantization rests on: TFLite's MultiplyByQuantizedMultiplier (DESIGN
 * section 5; saturating left shift, SaturatingRoundingDoublingHighMul,
 * RoundingDivideByPOT, as ir/interp.c) equals sqshl, sqrdmulh, a sqadd
 * fixup and srshl, on 20 million (accumulator, multiplier, shift) triples
 * with the edge values mixed in.  Built for AArch64 and run under QEMU by
 * tests/e2e/neon_insns.sh; exit status 0 when no triple differs. */
#include <arm_neon.h>
#include <stdint.h>
#include <stdio.h>
static int32_t ref(int32_t x, int32_t m, int s)
{
	int left = s > 0 ? s : 0, right = s > 0 ? 0 : -s;
	int64_t v = (int64_t)x * ((int64_t)1 << left);
	if (v > INT32_MAX)
		v = INT32_MAX;
	if (v < INT32_MIN)
		v = INT32_MIN;
	int64_t ab = v * (int64_t)m, nudge = ab >= 0 ? (1 << 30) : 1 - (1 << 30);
	int32_t q = (int32_t)((ab + nudge) / ((int64_t)1 << 31));
	int32_t mask = (int32_t)(((int64_t)1 << right) - 1), rem = q & mask,
	        thr = (mask >> 1) + (q < 0);
	return (q >> right) + (rem > thr);
}
static int32_t neon(int32_t x, int32_t m, int s)
{
	int32x4_t vx = vdupq_n_s32(x), vm = vdupq_n_s32(m), vs = vdupq_n_s32(s), z = vdupq_n_s32(0);
	vx = vqshlq_s32(vx, vmaxq_s32(vs, z));
	int32x4_t q = vqrdmulhq_s32(vx, vm), negr = vminq_s32(vs, z);
	int32x4_t fix = vshrq_n_s32(vandq_s32(q, negr), 31);
	q = vqaddq_s32(q, fix);
	return vgetq_lane_s32(vrshlq_s32(q, negr), 0);
}
int main(void)
{
	uint64_t st = 88172645463325252ull, bad = 0, n = 0;
	int32_t edge[] = {INT32_MIN, INT32_MIN + 1, -1,         0,      1,
	                  INT32_MAX, INT32_MAX - 1, -(1 << 30), 1 << 30};
	for (int i = 0; i < 20000000; i++) {
		st ^= st << 13;
		st ^= st >> 7;
		st ^= st << 17;
		int32_t x = (i % 7 == 0)   ? edge[(st >> 40) % 9]
		            : (i % 3 == 0) ? (int32_t)(st >> 32)
		                           : (int32_t)((int64_t)(st >> 44) - (1 << 19));
		int32_t m = (i % 11 == 0)
		                    ? (i % 22 == 0 ? 0 : INT32_MAX)
		                    : (int32_t)((1u << 30) + (uint32_t)((st >> 3) & 0x3fffffff));
		int s = (int)((st >> 20) % 40) - 31; /* -31 .. 8 */
		n++;
		if (ref(x, m, s) != neon(x, m, s)) {
			if (bad++ < 5)
				printf("x=%d m=%d s=%d ref=%d neon=%d\n", x, m, s, ref(x, m, s),
				       neon(x, m, s));
		}
	}
	printf("%llu cases, %llu differ\n", (unsigned long long)n, (unsigned long long)bad);
	return bad != 0;
}
