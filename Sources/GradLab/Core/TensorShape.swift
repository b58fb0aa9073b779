/// Shape manipulation: permute/transpose, slice and concatenation (all materialize a copy).
extension Tensor {
    /// Reorders axes: result axis i is input axis `order[i]`.
    @_specialize(where S == Float)
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.sorted() == Array(0..<rank), "permutation \(order) invalid for rank \(rank)")
        if order == Array(0..<rank) { return self }
        let newShape = order.map { shape[$0] }
        let src = strides
        let gather = order.map { src[$0] }
        if rank == 2 {   // matrix transpose, blocked for cache reuse
            let (r, c) = (shape[0], shape[1])
            var out = [S](repeating: 0, count: count)
            for i0 in stride(from: 0, to: r, by: 32) { for j0 in stride(from: 0, to: c, by: 32) {
                for i in i0..<Swift.min(i0 + 32, r) { for j in j0..<Swift.min(j0 + 32, c) { out[j * r + i] = scalars[i * c + j] } }
            } }
            return Tensor(shape: newShape, scalars: out)
        }
        var out = [S](); out.reserveCapacity(count)
        Tensor.forEachIndex(newShape) { idx in
            var f = 0
            for d in 0..<idx.count { f += idx[d] * gather[d] }
            out.append(scalars[f])
        }
        return Tensor(shape: newShape, scalars: out)
    }

    /// Swaps the last two axes.
    public var transposed: Tensor {
        precondition(rank >= 2, "transpose needs rank ≥ 2, have \(shape)")
        var order = Array(0..<rank); order.swapAt(rank - 1, rank - 2)
        return permuted(order)
    }

    /// Elements `range` along `axis`.
    @_specialize(where S == Float)
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let ax = normalizedAxis(axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[ax], "slice \(range) out of bounds for axis \(ax) of \(shape)")
        let outer = shape[..<ax].reduce(1, *), n = shape[ax], inner = shape[(ax + 1)...].reduce(1, *)
        var out = [S](); out.reserveCapacity(outer * range.count * inner)
        for o in 0..<outer { out.append(contentsOf: scalars[((o * n + range.lowerBound) * inner)..<((o * n + range.upperBound) * inner)]) }
        var s = shape; s[ax] = range.count
        return Tensor(shape: s, scalars: out)
    }

    /// Joins tensors along `axis`; all other axes must match.
    @_specialize(where S == Float)
    public static func concat(_ parts: [Tensor], axis: Int) -> Tensor {
        precondition(!parts.isEmpty, "concat of nothing")
        let ax = parts[0].normalizedAxis(axis)
        for p in parts {
            var a = p.shape, b = parts[0].shape
            precondition(a.count == b.count, "concat rank mismatch \(p.shape) vs \(parts[0].shape)")
            a[ax] = 0; b[ax] = 0
            precondition(a == b, "concat shapes \(p.shape) and \(parts[0].shape) differ off axis \(ax)")
        }
        let outer = parts[0].shape[..<ax].reduce(1, *), inner = parts[0].shape[(ax + 1)...].reduce(1, *)
        var out = [S](); out.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for o in 0..<outer { for p in parts {
            let n = p.shape[ax] * inner
            out.append(contentsOf: p.scalars[(o * n)..<((o + 1) * n)])
        } }
        var s = parts[0].shape; s[ax] = parts.reduce(0) { $0 + $1.shape[ax] }
        return Tensor(shape: s, scalars: out)
    }

    /// Rows `indices` of the first axis (mini-batch gathering).
    @_specialize(where S == Float)
    public func gatherRows(_ indices: [Int]) -> Tensor {
        let inner = count / Swift.max(shape[0], 1)
        var out = [S](); out.reserveCapacity(indices.count * inner)
        for i in indices { out.append(contentsOf: scalars[(i * inner)..<((i + 1) * inner)]) }
        var s = shape; s[0] = indices.count
        return Tensor(shape: s, scalars: out)
    }
}
