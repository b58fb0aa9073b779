/// Element-wise arithmetic with NumPy broadcasting, reductions and matrix products on plain
/// tensors (no autodiff); the differentiable ops in `Ops/` are built from these.
extension Tensor {
    /// The broadcast shape of two shapes (NumPy rules: align right, 1 stretches), or nil.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let n = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: n)
        for i in 0..<n {
            let da = i < n - a.count ? 1 : a[i - (n - a.count)]
            let db = i < n - b.count ? 1 : b[i - (n - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    /// Applies `f` element-wise under broadcasting.
    @_specialize(where S == Float)
    public func zip(_ other: Tensor, _ f: (S, S) -> S) -> Tensor {
        if shape == other.shape {
            return Tensor(shape: shape, scalars: scalars.withUnsafeBufferPointer { a in
                other.scalars.withUnsafeBufferPointer { b in
                    [S](unsafeUninitializedCapacity: a.count) { out, n in
                        for i in 0..<a.count { out[i] = f(a[i], b[i]) }
                        n = a.count
                    }
                }
            })
        }
        guard let outShape = Tensor.broadcastShape(shape, other.shape) else {
            preconditionFailure("shapes \(shape) and \(other.shape) do not broadcast")
        }
        // Fast path: `other` repeats along leading axes (e.g. a bias row added to every sample).
        if outShape == shape, other.count > 0, shape.suffix(other.rank) == other.shape[...] {
            let inner = other.count
            return Tensor(shape: shape, scalars: scalars.withUnsafeBufferPointer { a in
                other.scalars.withUnsafeBufferPointer { b in
                    [S](unsafeUninitializedCapacity: a.count) { out, n in
                        var i = 0
                        while i < a.count { for j in 0..<inner { out[i + j] = f(a[i + j], b[j]) }; i += inner }
                        n = a.count
                    }
                }
            })
        }
        let sa = Tensor.broadcastStrides(shape, to: outShape), sb = Tensor.broadcastStrides(other.shape, to: outShape)
        var out = [S](); out.reserveCapacity(outShape.reduce(1, *))
        Tensor.forEachIndex(outShape) { idx in
            var ia = 0, ib = 0
            for d in 0..<idx.count { ia += idx[d] * sa[d]; ib += idx[d] * sb[d] }
            out.append(f(scalars[ia], other.scalars[ib]))
        }
        return Tensor(shape: outShape, scalars: out)
    }

    /// Strides of `shape` seen inside the larger broadcast shape `target` (0 on stretched axes).
    static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let own = Tensor.strides(for: shape)
        let pad = target.count - shape.count
        return (0..<target.count).map { d in d < pad || shape[d - pad] == 1 ? 0 : own[d - pad] }
    }

    /// Calls `body` with every multi-index of `shape` in row-major order.
    static func forEachIndex(_ shape: [Int], _ body: ([Int]) -> Void) {
        let total = shape.reduce(1, *)
        if total == 0 { return }
        var idx = [Int](repeating: 0, count: shape.count)
        for _ in 0..<total {
            body(idx)
            var d = shape.count - 1
            while d >= 0 { idx[d] += 1; if idx[d] < shape[d] { break }; idx[d] = 0; d -= 1 }
        }
    }

    @_specialize(where S == Float)
    public func map(_ f: (S) -> S) -> Tensor { Tensor(shape: shape, scalars: scalars.map(f)) }

    @_specialize(where S == Float)
    public func adding(_ o: Tensor) -> Tensor {
        if shape == o.shape {
            var r = self
            r.scalars.withUnsafeMutableBufferPointer { a in o.scalars.withUnsafeBufferPointer { b in
                for i in 0..<a.count { a[i] += b[i] }
            } }
            return r
        }
        return zip(o, +)
    }
    @_specialize(where S == Float)
    public func subtracting(_ o: Tensor) -> Tensor { zip(o, -) }
    @_specialize(where S == Float)
    public func multiplying(_ o: Tensor) -> Tensor { zip(o, *) }
    @_specialize(where S == Float)
    public func dividing(_ o: Tensor) -> Tensor { zip(o, /) }
    @_specialize(where S == Float)
    public func scaled(by s: S) -> Tensor { map { $0 * s } }

    @_specialize(where S == Float)
    public static func + (a: Tensor, b: Tensor) -> Tensor { a.adding(b) }
    @_specialize(where S == Float)
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.subtracting(b) }
    @_specialize(where S == Float)
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.multiplying(b) }
    @_specialize(where S == Float)
    public static func / (a: Tensor, b: Tensor) -> Tensor { a.dividing(b) }
    @_specialize(where S == Float)
    public static func * (a: Tensor, s: S) -> Tensor { a.scaled(by: s) }

    // MARK: Reductions

    /// Sums over `axis`, keeping it with size 1 if `keepDims`.
    @_specialize(where S == Float)
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor {
        let ax = normalizedAxis(axis)
        let outer = shape[..<ax].reduce(1, *), n = shape[ax], inner = shape[(ax + 1)...].reduce(1, *)
        var out = [S](repeating: 0, count: outer * inner)
        scalars.withUnsafeBufferPointer { x in out.withUnsafeMutableBufferPointer { o in
            for a in 0..<outer { for r in 0..<n {
                let src = x.baseAddress! + (a * n + r) * inner, dst = o.baseAddress! + a * inner
                for i in 0..<inner { dst[i] += src[i] }
            } }
        } }
        var s = shape
        if keepDims { s[ax] = 1 } else { s.remove(at: ax) }
        return Tensor(shape: s, scalars: out)
    }
    /// Sums over several axes.
    @_specialize(where S == Float)
    public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
        var r = self
        for ax in Set(axes.map(normalizedAxis)).sorted(by: >) { r = r.sum(axis: ax, keepDims: keepDims) }
        return r
    }
    /// Sum of all elements.
    @_specialize(where S == Float)
    public func sum() -> S { scalars.reduce(0, +) }
    @_specialize(where S == Float)
    public func mean() -> S { count == 0 ? .nan : sum() / S(count) }

    /// Maximum and its index along `axis`.
    @_specialize(where S == Float)
    public func max(axis: Int, keepDims: Bool = false) -> (values: Tensor, indices: [Int]) {
        let ax = normalizedAxis(axis)
        let outer = shape[..<ax].reduce(1, *), n = shape[ax], inner = shape[(ax + 1)...].reduce(1, *)
        precondition(n > 0, "max over an empty axis")
        var vals = [S](repeating: -.infinity, count: outer * inner), idx = [Int](repeating: 0, count: outer * inner)
        for a in 0..<outer { for r in 0..<n { for i in 0..<inner {
            let v = scalars[(a * n + r) * inner + i], o = a * inner + i
            if r == 0 || v > vals[o] || v.isNaN { vals[o] = v; idx[o] = r }
        } } }
        var s = shape
        if keepDims { s[ax] = 1 } else { s.remove(at: ax) }
        return (Tensor(shape: s, scalars: vals), idx)
    }

    /// Reduces a broadcast result back to `target` by summing the stretched axes (the gradient rule
    /// of broadcasting).
    @_specialize(where S == Float)
    public func sumToShape(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        var r = self
        while r.rank > target.count { r = r.sum(axis: 0) }
        for d in 0..<target.count where target[d] == 1 && r.shape[d] != 1 { r = r.sum(axis: d, keepDims: true) }
        return r
    }

    @_specialize(where S == Float)
    func normalizedAxis(_ axis: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "axis \(axis) out of range for shape \(shape)")
        return a
    }

    // MARK: Matrix products

    /// Matrix product of the last two axes, batched over a leading axis when present:
    /// [m,k]·[k,n], [b,m,k]·[b,k,n], [b,m,k]·[k,n]. `transposeA/B` transpose the operands' last two axes.
    @_specialize(where S == Float)
    public func matmul(_ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let a = self
        precondition(a.rank >= 2 && a.rank <= 3 && b.rank >= 2 && b.rank <= 3, "matmul needs rank-2 or rank-3 tensors, got \(a.shape) and \(b.shape)")
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1]), (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, k) = transposeA ? (ac, ar) : (ar, ac)
        let (k2, n) = transposeB ? (bc, br) : (br, bc)
        precondition(k == k2, "matmul inner dimensions differ: \(a.shape) · \(b.shape)")
        let batch = a.rank == 3 ? a.shape[0] : (b.rank == 3 ? b.shape[0] : 1)
        precondition(a.rank == 2 || b.rank == 2 || a.shape[0] == b.shape[0], "batch sizes differ: \(a.shape) · \(b.shape)")
        let strideA = a.rank == 3 ? ar * ac : 0, strideB = b.rank == 3 ? br * bc : 0
        // GEMM with β = 0 writes every element, so the output needs no zero-fill.
        let out = [S](unsafeUninitializedCapacity: batch * m * n) { pc, count in
            a.scalars.withUnsafeBufferPointer { pa in b.scalars.withUnsafeBufferPointer { pb in
                for i in 0..<batch {
                    S.gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: 1,
                           a: pa.baseAddress! + i * strideA, lda: ac, b: pb.baseAddress! + i * strideB, ldb: bc,
                           beta: 0, c: pc.baseAddress! + i * m * n, ldc: n)
                }
            } }
            count = batch * m * n
        }
        return Tensor(shape: (a.rank == 3 || b.rank == 3 ? [batch] : []) + [m, n], scalars: out)
    }

    // MARK: Norms and statistics

    /// Euclidean (Frobenius) norm, accumulated in Double (vectorized for Float; see `summary`).
    public var norm: Double { moments(sumOfSquaresOnly: true).norm }
    public var maxAbs: S { scalars.reduce(0) { Swift.max($0, abs($1)) } }
}
