#ifndef GRADLAB_SUPPORT_H
#define GRADLAB_SUPPORT_H

/// Sets (on != 0) or clears flush-to-zero and denormals-are-zero for the calling thread's
/// floating-point unit (x86 MXCSR FTZ|DAZ, arm64 FPCR.FZ). Returns 1 if the platform supports it.
int gradlab_set_flush_denormals(int on);
/// 1 if flush-to-zero is on for the calling thread.
int gradlab_flush_denormals(void);

/// Asks the cache for the line holding `p` (a no-op where unsupported). Swift has no prefetch of
/// its own; the GEMM fetches each micro-tile's rows of C while it multiplies, as BLAS kernels do.
static inline void gradlab_prefetch(const void *p) { __builtin_prefetch(p, 1, 3); }

/// Packs one strip of a transposed GEMM operand: out[p·nr + j] = b[j·ldb + p] for j < nr
/// (a multiple of 8), p < kb. Full 8×8 blocks are transposed in registers.
void gradlab_pack_transposed(const float *b, long ldb, long kb, long nr, float *out);

#endif
