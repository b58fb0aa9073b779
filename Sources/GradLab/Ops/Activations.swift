/// Activation functions as differentiable ops: y = φ(x), dx = dy·φ'(x, y).
/// The Float path runs the vectorized kernels; Double runs the reference formulas.
extension Var {
    @_specialize(where S == Float)
    public func activation(_ kind: ActivationKind) -> Var {
        if kind == .identity { return self }
        let x = value
        let y = [S](unsafeUninitializedCapacity: x.count) { yp, count in
            x.scalars.withUnsafeBufferPointer { S.activate(kind, $0, yp) }
            count = x.count
        }
        let out = Tensor(shape: x.shape, scalars: y)
        return tape.record(out, inputs: [self]) { g, put in
            // One measuring sweep, for the first observer that asks; others measure for themselves.
            let asking = self.tape.observers.first { $0.saturationThreshold(kind) != nil }
            let (dx, stats) = activationGradient(kind, x: x, y: out, dy: g, measuring: asking?.saturationThreshold(kind))
            if let asking, let stats { asking.activationStatistics(input: self.id, stats, gradient: dx.storageAddress) }
            put(self.id, dx)
        }
    }

    @_specialize(where S == Float)
    public func sigmoid() -> Var { activation(.sigmoid) }
    @_specialize(where S == Float)
    public func tanh() -> Var { activation(.tanh) }
    @_specialize(where S == Float)
    public func relu() -> Var { activation(.relu) }
}

/// dx = dy · φ'(x, y), element-wise. With `measuring` (an observer's request, see
/// `TrainingObserver.saturationThreshold`), the Float path also measures y's moments (|y| beyond it counted)
/// and Σdx² in the same sweep.
@_specialize(where S == Float)
func activationGradient<S: Scalar>(_ kind: ActivationKind, x: Tensor<S>, y: Tensor<S>, dy: Tensor<S>,
                                   measuring threshold: Double? = nil) -> (Tensor<S>, ActivationGradientStatistics?) {
    if let xf = x as? Tensor<Float>, let yf = y as? Tensor<Float>, let gf = dy as? Tensor<Float> {
        var stats: ActivationGradientStatistics?
        let dx = [Float](unsafeUninitializedCapacity: xf.count) { dp, count in
            xf.scalars.withUnsafeBufferPointer { xp in yf.scalars.withUnsafeBufferPointer { yp in
                gf.scalars.withUnsafeBufferPointer { gp in
                    if let threshold { stats = activationBackwardMeasured(kind, x: xp, y: yp, dy: gp, dx: dp, beyond: threshold) }
                    else { VectorMath.activationBackward(kind, x: xp, y: yp, dy: gp, dx: dp) }
                }
            } }
            count = xf.count
        }
        return (Tensor<Float>(shape: x.shape, scalars: dx) as! Tensor<S>, stats)
    }
    var dx = dy
    for i in 0..<dx.count { dx.scalars[i] = dy.scalars[i] * kind.derivative(x: x.scalars[i], y: y.scalars[i]) }
    return (dx, nil)
}
