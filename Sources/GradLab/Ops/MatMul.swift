/// Matrix products. For C = A·B: dA = dC·Bᵀ, dB = Aᵀ·dC (transposes folded into the GEMM).
extension Var {
    /// Matrix product over the last two axes (batched for rank 3), see `Tensor.matmul`.
    @_specialize(where S == Float)
    public func matmul(_ b: Var) -> Var {
        let a = self
        return tape.record(a.value.matmul(b.value), inputs: [a, b]) { g, put in
            if a.tape.needsGrad(a) { put(a.id, g.matmul(b.value, transposeB: true).sumToShape(a.shape)) }
            if a.tape.needsGrad(b) {
                // For a 2-D B shared across a batch, fold the batch into rows: dB = Σ_b A_bᵀ·dC_b.
                if b.value.rank == 2 && a.value.rank == 3 {
                    let k = a.shape[2]
                    put(b.id, a.value.reshaped([-1, k]).matmul(g.reshaped([-1, g.shape[2]]), transposeA: true))
                } else {
                    put(b.id, a.value.matmul(g, transposeA: true))
                }
            }
        }
    }

    /// Affine map y = x·Wᵀ + b with W stored [out, in] (PyTorch's convention), x [batch, in].
    /// Backward: dx = dy·W, dW = dyᵀ·x, db = Σ_batch dy. dx is skipped when x needs no gradient
    /// (e.g. the data fed to the first layer).
    @_specialize(where S == Float)
    public func linear(weight: Var, bias: Var?) -> Var {
        let x = self
        precondition(x.value.rank == 2, "linear expects input [batch, features], got \(x.shape)")
        precondition(weight.value.rank == 2 && weight.shape[1] == x.shape[1],
                     "linear: input has \(x.shape[1]) features but weight is \(weight.shape) ([out, in])")
        let (m, k, n) = (x.shape[0], x.shape[1], weight.shape[0])
        if let bias { precondition(bias.shape == [n], "linear: bias shape \(bias.shape) ≠ [\(n)]") }
        // Every element is written (β = 0, or the bias row plus the product), so no zero-fill.
        let y = [S](unsafeUninitializedCapacity: m * n) { yp, count in
            x.value.scalars.withUnsafeBufferPointer { xp in weight.value.scalars.withUnsafeBufferPointer { wp in
                if let bias {
                    bias.value.scalars.withUnsafeBufferPointer { bp in
                        S.affine(m: m, n: n, k: k, x: xp.baseAddress!, ldx: k, w: wp.baseAddress!, ldw: k,
                                 bias: bp.baseAddress!, y: yp.baseAddress!, ldy: n)
                    }
                } else {
                    S.gemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: xp.baseAddress!, lda: k,
                           b: wp.baseAddress!, ldb: k, beta: 0, c: yp.baseAddress!, ldc: n)
                }
            } }
            count = m * n
        }
        let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
        return tape.record(Tensor(shape: [m, n], scalars: y), inputs: inputs) { g, put in
            let t = x.tape
            if t.needsGrad(x) { put(x.id, g.matmul(weight.value)) }
            if t.needsGrad(weight) { put(weight.id, g.matmul(x.value, transposeA: true)) }
            if let bias, t.needsGrad(bias) { put(bias.id, g.sum(axis: 0)) }
        }
    }
}
