// Swift has no access to the floating-point control register, so this tiny C file sets it.
// Subnormal floats (|x| < 1.2e-38) take a microcode assist per operation on many CPUs, up to
// 100x slower: a deep ReLU net whose activations decay into that range crawls. JAX/XLA and
// oneDNN flush them to zero by default; GradLab does the same for its Float kernels.
#include "gradlab_support.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define FTZ_DAZ 0x8040u
int gradlab_set_flush_denormals(int on) {
    unsigned int csr = _mm_getcsr();
    _mm_setcsr(on ? (csr | FTZ_DAZ) : (csr & ~FTZ_DAZ));
    return 1;
}
int gradlab_flush_denormals(void) { return (_mm_getcsr() & FTZ_DAZ) == FTZ_DAZ; }
#elif defined(__aarch64__)
#include <stdint.h>
int gradlab_set_flush_denormals(int on) {
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    fpcr = on ? (fpcr | (1u << 24)) : (fpcr & ~(uint64_t)(1u << 24));
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
    return 1;
}
int gradlab_flush_denormals(void) {
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    return (fpcr >> 24) & 1;
}
#else
int gradlab_set_flush_denormals(int on) { (void)on; return 0; }
int gradlab_flush_denormals(void) { return 0; }
#endif

// The GEMM packs op(B) = Bᵀ (every forward pass of a Dense layer: y = x·Wᵀ) by transposing
// 8×8 blocks in registers. Swift has no vector shuffle, and element-by-element it stores one
// float per instruction; clang's generic vectors compile to unpack/shuffle/permute on x86 and
// to zip/uzp on arm64.
typedef float gl_v8 __attribute__((ext_vector_type(8)));

static inline gl_v8 gl_load8(const float *p) { gl_v8 v; __builtin_memcpy(&v, p, sizeof v); return v; }
static inline void gl_store8(float *p, gl_v8 v) { __builtin_memcpy(p, &v, sizeof v); }

void gradlab_pack_transposed(const float *b, long ldb, long kb, long nr, float *out) {
    long p = 0;
    for (; p + 8 <= kb; p += 8) {
        for (long j = 0; j < nr; j += 8) {
            const float *s = b + j * ldb + p;
            gl_v8 v0 = gl_load8(s), v1 = gl_load8(s + ldb), v2 = gl_load8(s + 2 * ldb), v3 = gl_load8(s + 3 * ldb);
            gl_v8 v4 = gl_load8(s + 4 * ldb), v5 = gl_load8(s + 5 * ldb), v6 = gl_load8(s + 6 * ldb), v7 = gl_load8(s + 7 * ldb);
            // Pairs of rows interleaved, then pairs of pairs, then the 128-bit halves swapped.
            gl_v8 t0 = __builtin_shufflevector(v0, v1, 0, 8, 1, 9, 4, 12, 5, 13);
            gl_v8 t1 = __builtin_shufflevector(v0, v1, 2, 10, 3, 11, 6, 14, 7, 15);
            gl_v8 t2 = __builtin_shufflevector(v2, v3, 0, 8, 1, 9, 4, 12, 5, 13);
            gl_v8 t3 = __builtin_shufflevector(v2, v3, 2, 10, 3, 11, 6, 14, 7, 15);
            gl_v8 t4 = __builtin_shufflevector(v4, v5, 0, 8, 1, 9, 4, 12, 5, 13);
            gl_v8 t5 = __builtin_shufflevector(v4, v5, 2, 10, 3, 11, 6, 14, 7, 15);
            gl_v8 t6 = __builtin_shufflevector(v6, v7, 0, 8, 1, 9, 4, 12, 5, 13);
            gl_v8 t7 = __builtin_shufflevector(v6, v7, 2, 10, 3, 11, 6, 14, 7, 15);
            gl_v8 u0 = __builtin_shufflevector(t0, t2, 0, 1, 8, 9, 4, 5, 12, 13);
            gl_v8 u1 = __builtin_shufflevector(t0, t2, 2, 3, 10, 11, 6, 7, 14, 15);
            gl_v8 u2 = __builtin_shufflevector(t1, t3, 0, 1, 8, 9, 4, 5, 12, 13);
            gl_v8 u3 = __builtin_shufflevector(t1, t3, 2, 3, 10, 11, 6, 7, 14, 15);
            gl_v8 u4 = __builtin_shufflevector(t4, t6, 0, 1, 8, 9, 4, 5, 12, 13);
            gl_v8 u5 = __builtin_shufflevector(t4, t6, 2, 3, 10, 11, 6, 7, 14, 15);
            gl_v8 u6 = __builtin_shufflevector(t5, t7, 0, 1, 8, 9, 4, 5, 12, 13);
            gl_v8 u7 = __builtin_shufflevector(t5, t7, 2, 3, 10, 11, 6, 7, 14, 15);
            float *d = out + p * nr + j;
            gl_store8(d, __builtin_shufflevector(u0, u4, 0, 1, 2, 3, 8, 9, 10, 11));
            gl_store8(d + nr, __builtin_shufflevector(u1, u5, 0, 1, 2, 3, 8, 9, 10, 11));
            gl_store8(d + 2 * nr, __builtin_shufflevector(u2, u6, 0, 1, 2, 3, 8, 9, 10, 11));
            gl_store8(d + 3 * nr, __builtin_shufflevector(u3, u7, 0, 1, 2, 3, 8, 9, 10, 11));
            gl_store8(d + 4 * nr, __builtin_shufflevector(u0, u4, 4, 5, 6, 7, 12, 13, 14, 15));
            gl_store8(d + 5 * nr, __builtin_shufflevector(u1, u5, 4, 5, 6, 7, 12, 13, 14, 15));
            gl_store8(d + 6 * nr, __builtin_shufflevector(u2, u6, 4, 5, 6, 7, 12, 13, 14, 15));
            gl_store8(d + 7 * nr, __builtin_shufflevector(u3, u7, 4, 5, 6, 7, 12, 13, 14, 15));
        }
    }
    for (; p < kb; p++)
        for (long j = 0; j < nr; j++) out[p * nr + j] = b[j * ldb + p];
}
