import Foundation

// Helpers of the fused recurrence: layout swaps, a repeated right operand, sums, buffers, batch slicing.

/// Copies a [B, T, F] buffer into [T, B, F] or back (`toTimeMajor: false`), one row at a time.
func swapBatchAndTime<S>(_ x: [S], B: Int, T: Int, F: Int, toTimeMajor: Bool) -> [S] {
    [S](unsafeUninitializedCapacity: x.count) { yp, count in
        x.withUnsafeBufferPointer { xp in
            for b in 0..<B { for t in 0..<T {
                let bt = (b &* T &+ t) &* F, tb = (t &* B &+ b) &* F
                let (src, dst) = toTimeMajor ? (bt, tb) : (tb, bt)
                (yp.baseAddress! + dst).initialize(from: xp.baseAddress! + src, count: F)
            } }
        }
        count = x.count
    }
}

/// Products with one fixed right operand op(B) [k, n] (B row-major, op(B) = Bᵀ when
/// `transposed`), repeated at every step of a sequence: on the Swift backend a Float op(B) is
/// packed once; otherwise each product is a GEMM.
final class FixedOperand<S: Scalar> {
    let b: UnsafePointer<S>, transposed: Bool, k: Int, n: Int, ldb: Int
    let packed: PackedGemm.PackedB?

    init(_ b: UnsafePointer<S>, transposed: Bool, k: Int, n: Int, ldb: Int) {
        self.b = b; self.transposed = transposed; self.k = k; self.n = n; self.ldb = ldb
        packed = S.self == Float.self && Backend.current.kind == .swift
            ? PackedGemm.PackedB(transB: transposed, k: k, n: n, b: UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), ldb: ldb) : nil
    }

    /// C[m×n] = A[m×k]·op(B) + β·C.
    func multiply(m: Int, a: UnsafePointer<S>, lda: Int, beta: S, c: UnsafeMutablePointer<S>, ldc: Int) {
        if let packed {
            PackedGemm.sgemm(transA: false, m: m, a: UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), lda: lda, packed: packed,
                             alpha: 1, beta: Float(beta), c: UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc: ldc)
        } else {
            S.gemm(transA: false, transB: transposed, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }
}

/// Σ x² in Double with four interleaved partial sums (a single running sum is one long chain of
/// dependent adds); a fixed order, so the same on any thread count.
@inline(__always)
func sumOfSquares<S: Scalar>(_ x: UnsafePointer<S>, _ n: Int) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var j = 0
    while j + 4 <= n {
        let a = Double(x[j]), b = Double(x[j + 1]), c = Double(x[j + 2]), d = Double(x[j + 3])
        s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d
        j += 4
    }
    while j < n { let a = Double(x[j]); s0 += a * a; j += 1 }
    return (s0 + s1) + (s2 + s3)
}

/// A buffer whose every element the caller writes before reading (trivial scalars only), with
/// its first `zeroPrefix` elements zero.
func uninitialized<S: Scalar>(_ count: Int, zeroPrefix: Int = 0) -> [S] {
    [S](unsafeUninitializedCapacity: count) { p, n in
        p.baseAddress?.initialize(repeating: 0, count: zeroPrefix)
        n = count
    }
}

/// Runs `body` on contiguous slices of the batch rows 0..<B, one per thread (slices of at least
/// 8 rows, so each keeps a full GEMM strip).
func batchParallel(_ B: Int, _ body: (Int, Int) -> Void) {
    let parts = Swift.max(1, Swift.min(WorkerPool.shared.threads, B / 8))
    WorkerPool.shared.run(parts: parts) { p in body(B * p / parts, B * (p + 1) / parts) }
}
