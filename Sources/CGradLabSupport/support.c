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
