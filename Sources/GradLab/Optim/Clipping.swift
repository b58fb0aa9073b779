/// Gradient clipping, applied to parameter gradients between backward and the update.
public enum GradientClipping: Equatable, Sendable {
    case none
    /// Clamp every gradient element to [−c, c].
    case value(Double)
    /// Rescale all gradients together by min(1, c/‖g‖) where ‖g‖ is the global L2 norm over every
    /// parameter (Pascanu et al. 2013).
    case globalNorm(Double)

    /// Clips in place; returns the global gradient norm measured before clipping.
    @discardableResult
    public func apply<S: Scalar>(to parameters: [Parameter<S>]) -> Double {
        apply(to: parameters, norm: globalGradientNorm(parameters))
    }

    /// Clips given the already measured global norm.
    @discardableResult
    public func apply<S: Scalar>(to parameters: [Parameter<S>], norm: Double) -> Double {
        switch self {
        case .none: break
        case .value(let c):
            let lo = S(-c), hi = S(c)
            for p in parameters { p.grad = p.grad?.map { Swift.min(Swift.max($0, lo), hi) } }
        case .globalNorm(let c):
            guard norm.isFinite, norm > c else { break }
            let s = S(c / norm)
            for p in parameters { p.grad = p.grad.map { $0 * s } }
        }
        return norm
    }
}

/// √(Σ over parameters of ‖grad‖²), accumulated in Double; NaN/Inf propagate.
public func globalGradientNorm<S: Scalar>(_ parameters: [Parameter<S>]) -> Double {
    var s = 0.0
    for p in parameters { if let g = p.grad { s += g.summary().sumOfSquares } }
    return s.squareRoot()
}
