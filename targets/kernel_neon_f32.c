/* kernel_neon_f32.c — the f32 kernels on AArch64 NEON: how many vector
 * lanes the f32 kernels get on a machine.
 *
 * The f32 conv2d kernel (kernel_f32.c: output channels in the lanes, a
 * broadcast input times a weight vector per tap, fused max-pool, bands of
 * rows) and the f32 depthwise kernel (kernel_f32_dw.c: output pixels of
 * one channel in the lanes, per-channel padded planes split by stride
 * phase) are written in target-neutral LLVM IR: plain vector loads, fmul,
 * fadd, shuffles, selects, and llvm.masked.store for the lanes past a
 * row's end.  On AArch64 they run on NEON's 4 f32 lanes (rows
 * "arm64.neon.f32.conv2d" and "arm64.neon.f32dw.conv2d"; kernel_f32.c
 * tiles 4 pixels x 4 blocks there, 16 chains of the 32 registers;
 * kernel_f32_dw.c up to 12 chains, as with AVX-512), so this file only
 * says how wide the vectors are.  No fmla: a fused multiply-add
 * rounds once where the interpreter rounds twice, so the results would not
 * be bit-exact (LLVM does not fuse the separate fmul and fadd: no contract
 * flags).
 */
#include "targets.h"

int tgt_f32_lanes(const TgtMachine *m)
{
	int l = tgt_x86_f32_lanes(m);

	if (l)
		return l;
	return tgt_neon_variant(m) >= 0 ? 4 : 0; /* AArch64 with NEON */
}
