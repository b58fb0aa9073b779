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
            if let request = self.tape.activationStatistics,
               let (dx, stats) = measuredActivationGradient(kind, x: x, y: out, dy: g, beyond: request.threshold(kind)) {
                request.report(self.id, stats, dx.storageAddress)
                put(self.id, dx)
            } else {
                put(self.id, activationGradient(kind, x: x, y: out, dy: g))
            }
        }
    }

    @_specialize(where S == Float)
    public func sigmoid() -> Var { activation(.sigmoid) }
    @_specialize(where S == Float)
    public func tanh() -> Var { activation(.tanh) }
    @_specialize(where S == Float)
    public func relu() -> Var { activation(.relu) }
}

/// `activationGradient` with the statistics a probe asked for, measured in the same sweep
/// (Float only; nil otherwise).
func measuredActivationGradient<S: Scalar>(_ kind: ActivationKind, x: Tensor<S>, y: Tensor<S>, dy: Tensor<S>,
                                           beyond: Double) -> (Tensor<S>, ActivationGradientStatistics)? {
    guard let xf = x as? Tensor<Float>, let yf = y as? Tensor<Float>, let gf = dy as? Tensor<Float> else { return nil }
    var stats: ActivationGradientStatistics?
    let dx = [Float](unsafeUninitializedCapacity: xf.count) { dp, count in
        xf.scalars.withUnsafeBufferPointer { xp in yf.scalars.withUnsafeBufferPointer { yp in
            gf.scalars.withUnsafeBufferPointer { gp in stats = activationBackwardMeasured(kind, x: xp, y: yp, dy: gp, dx: dp, beyond: beyond) }
        } }
        count = xf.count
    }
    return (Tensor<Float>(shape: x.shape, scalars: dx) as! Tensor<S>, stats!)
}

/// dx = dy · φ'(x, y), element-wise.
@_specialize(where S == Float)
func activationGradient<S: Scalar>(_ kind: ActivationKind, x: Tensor<S>, y: Tensor<S>, dy: Tensor<S>) -> Tensor<S> {
    if let xf = x as? Tensor<Float>, let yf = y as? Tensor<Float>, let gf = dy as? Tensor<Float> {
        let dx = [Float](unsafeUninitializedCapacity: xf.count) { dp, count in
            xf.scalars.withUnsafeBufferPointer { xp in yf.scalars.withUnsafeBufferPointer { yp in
                gf.scalars.withUnsafeBufferPointer { gp in VectorMath.activationBackward(kind, x: xp, y: yp, dy: gp, dx: dp) }
            } }
            count = xf.count
        }
        return Tensor<Float>(shape: x.shape, scalars: dx) as! Tensor<S>
    }
    var dx = dy
    for i in 0..<dx.count { dx.scalars[i] = dy.scalars[i] * kind.derivative(x: x.scalars[i], y: y.scalars[i]) }
    return dx
}
