/// c + a·b for the kernels, as one fused multiply-add wherever the build targets an FMA unit
/// (x86-64 built with `GRADLAB_AVX2`, arm64). x86-64's baseline, SSE2 — what a package that
/// depends on GradLab by version gets, as SwiftPM refuses unsafe flags there — has no FMA
/// instruction, and `addingProduct` (rounded once, as IEEE requires) becomes a libm call per
/// element that also stops the loop from vectorizing. There it is a multiply and an add.
#if arch(x86_64) && !GRADLAB_AVX2
private let fusedMultiplyAdd = false
#else
private let fusedMultiplyAdd = true
#endif

extension BinaryFloatingPoint {
    @inline(__always) func plusProduct(_ a: Self, _ b: Self) -> Self { fusedMultiplyAdd ? addingProduct(a, b) : self + a * b }
}

extension SIMD where Scalar: BinaryFloatingPoint {
    @inline(__always) func plusProduct(_ a: Self, _ b: Self) -> Self { fusedMultiplyAdd ? addingProduct(a, b) : self + a * b }
}
