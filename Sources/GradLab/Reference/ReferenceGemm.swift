/// Readable matrix multiply: C[m×n] = α·op(A)·op(B) + β·C, row-major. The test oracle for the
/// packed kernel and the Double path used by gradient checks. Loops i, p, j so the inner loop
/// walks rows of B and C contiguously when B is not transposed.
package func referenceGemm<S: Scalar>(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                                     alpha: S, a: UnsafePointer<S>, lda: Int,
                                     b: UnsafePointer<S>, ldb: Int,
                                     beta: S, c: UnsafeMutablePointer<S>, ldc: Int) {
    for i in 0..<m {
        let row = c + i * ldc
        for j in 0..<n { row[j] = beta == 0 ? 0 : beta * row[j] }
        for p in 0..<k {
            let aip = alpha * (transA ? a[p * lda + i] : a[i * lda + p])
            if transB {
                for j in 0..<n { row[j] += aip * b[j * ldb + p] }
            } else {
                let brow = b + p * ldb
                for j in 0..<n { row[j] += aip * brow[j] }
            }
        }
    }
}
