/// Reductions. Sum: the gradient is broadcast back. Mean: also divided by the count.
/// Max: the gradient goes to the (first) arg-max only.
extension Var {
    @_specialize(where S == Float)
    public func sum() -> Var {
        let shape = self.shape
        return tape.record(Tensor(value.sum()), inputs: [self]) { g, put in put(self.id, Tensor(shape: shape, repeating: g.item)) }
    }
    @_specialize(where S == Float)
    public func sum(axis: Int, keepDims: Bool = false) -> Var {
        let shape = self.shape, ax = value.normalizedAxis(axis)
        return tape.record(value.sum(axis: ax, keepDims: keepDims), inputs: [self]) { g, put in
            var kept = shape; kept[ax] = 1
            put(self.id, g.reshaped(kept).zip(Tensor(zeros: shape), +))
        }
    }
    @_specialize(where S == Float)
    public func mean() -> Var { sum() * (1 / S(value.count)) }
    @_specialize(where S == Float)
    public func mean(axis: Int, keepDims: Bool = false) -> Var {
        sum(axis: axis, keepDims: keepDims) * (1 / S(shape[value.normalizedAxis(axis)]))
    }
    @_specialize(where S == Float)
    public func max(axis: Int, keepDims: Bool = false) -> Var {
        let shape = self.shape, ax = value.normalizedAxis(axis)
        let (vals, idx) = value.max(axis: ax, keepDims: keepDims)
        return tape.record(vals, inputs: [self]) { g, put in
            let outer = shape[..<ax].reduce(1, *), n = shape[ax], inner = shape[(ax + 1)...].reduce(1, *)
            var dx = Tensor<S>(zeros: shape)
            for o in 0..<outer { for i in 0..<inner { dx.scalars[(o * n + idx[o * inner + i]) * inner + i] = g.scalars[o * inner + i] } }
            put(self.id, dx)
        }
    }
}
