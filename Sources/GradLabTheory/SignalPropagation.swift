import Foundation
import GradLab

/// Mean-field signal propagation through a deep fully connected net at initialization
/// (Poole et al. 2016; Schoenholz et al. 2017), for h^l = W^l φ(h^{l−1}) + b^l with
/// W ~ N(0, σ_w²/fan_in) and b ~ N(0, σ_b²). All gradient ratios are of **squared** norms.
///
///   length map   q^{l+1} = σ_w² E[φ(√q z)²] + σ_b²,      fixed point q*
///   χ₁(q)        = σ_w² E[φ'(√q z)²]                    (per-layer factor of E‖δ‖²)
///   correlation  c^{l+1} = (σ_w² E[φ(u₁)φ(u₂)] + σ_b²)/q*, fixed point c*
///   depth scales ξ_q = −1/ln(slope of the length map at q*), ξ_∇ = −1/ln χ₁(q*),
///                ξ_c = −1/ln χ_c(c*) with χ_c(c) = σ_w² E[φ'(u₁)φ'(u₂)]
///   trainable depth ≈ 6 ξ_c.
/// ReLU and leaky ReLU use closed forms (quadrature converges slowly across a kink); other
/// activations use Gauss–Hermite quadrature. Orthogonal weights give the same wide-limit maps.
public struct SignalPropagation: Sendable {
    public let activation: ActivationKind
    public let sigmaW2: Double
    public let sigmaB2: Double
    let rule: GaussHermite

    public init(activation: ActivationKind, sigmaW2: Double, sigmaB2: Double, quadrature: GaussHermite = GaussHermite()) {
        self.activation = activation; self.sigmaW2 = sigmaW2; self.sigmaB2 = sigmaB2; self.rule = quadrature
    }

    /// Negative slope of the ReLU family (0 for ReLU), nil for smooth activations.
    var reluSlope: Double? {
        switch activation { case .relu: return 0; case .leakyRelu: return ActivationKind.leakySlope; default: return nil }
    }

    /// E[φ(√q z)²].
    public func meanSquare(_ q: Double) -> Double {
        if let a = reluSlope { return q * (1 + a * a) / 2 }
        if activation == .identity { return q }
        let s = q.squareRoot()
        return rule.expect { z in let v = activation.reference(s * z); return v * v }
    }

    /// E[φ'(√q z)²].
    public func meanSquareDerivative(_ q: Double) -> Double {
        if let a = reluSlope { return (1 + a * a) / 2 }
        if activation == .identity { return 1 }
        let s = q.squareRoot()
        return rule.expect { z in let x = s * z; let d = activation.derivative(x: x, y: activation.reference(x)); return d * d }
    }

    /// E[φ'(√q z)⁴] (the second moment of D² in the Jacobian's spectrum).
    public func meanFourthDerivative(_ q: Double) -> Double {
        if let a = reluSlope { return (1 + a * a * a * a) / 2 }
        if activation == .identity { return 1 }
        let s = q.squareRoot()
        return rule.expect { z in let x = s * z; let d = activation.derivative(x: x, y: activation.reference(x)); return d * d * d * d }
    }

    /// Moments of the squared singular values λ of the input–output Jacobian J of a depth-L
    /// net at the fixed point q* (Pennington, Schoenholz & Ganguli 2017, free probability):
    /// mean χ₁^L for Gaussian and orthogonal weights alike, and, at criticality, variance
    /// L·(μ₂/μ₁² − 1 − s₁) with μ_k = E[φ'(√q* z)^{2k}] and s₁ = −1 for Gaussian weights, 0 for
    /// orthogonal ones. This is where the two differ: for linear nets the variance is L against
    /// 0 (every singular value exactly 1), for ReLU 2L against L, for tanh at small q* near L
    /// against near 0 (dynamical isometry). Away from criticality the variance is scaled by the
    /// mean squared (χ₁^{2L}), an approximation.
    public func jacobianSpectrum(depth: Int, orthogonal: Bool) -> (mean: Double, variance: Double) {
        let q = qStar.isFinite ? qStar : 1
        let m1 = meanSquareDerivative(q), m2 = meanFourthDerivative(q)
        let mean = Foundation.pow(sigmaW2 * m1, Double(depth))
        let s1 = orthogonal ? 0.0 : -1.0
        return (mean, mean * mean * Double(depth) * (m2 / (m1 * m1) - 1 - s1))
    }

    public func lengthMap(_ q: Double) -> Double { sigmaW2 * meanSquare(q) + sigmaB2 }
    public func chi1(_ q: Double) -> Double { sigmaW2 * meanSquareDerivative(q) }

    /// The fixed point of the length map, iterated from q = 1 (∞ if it diverges, as for ReLU
    /// with σ_w² ≥ 2 and σ_b² > 0).
    public var qStar: Double {
        if let a = reluSlope {
            let slope = sigmaW2 * (1 + a * a) / 2
            if slope < 1 { return sigmaB2 / (1 - slope) }
            return sigmaB2 == 0 && slope == 1 ? 1 : .infinity
        }
        var q = 1.0
        for _ in 0..<100_000 {
            let next = lengthMap(q)
            if !next.isFinite || next > 1e12 { return .infinity }
            if abs(next - q) < 1e-14 * Swift.max(1, q) { return next }
            q = next
        }
        return q
    }

    /// χ₁ at the fixed point: < 1 ordered (vanishing), > 1 chaotic (exploding), = 1 critical.
    public var chi1AtFixedPoint: Double { let q = qStar; return q.isFinite ? chi1(q) : chi1(1) }

    /// ξ_q from the slope of the length map at q* (finite difference).
    public var xiQ: Double {
        let q = qStar
        guard q.isFinite, q > 0 else { return .nan }
        let h = 1e-5 * Swift.max(q, 1e-3)
        let slope = (lengthMap(q + h) - lengthMap(q - h)) / (2 * h)
        return -1 / Foundation.log(slope)
    }

    /// ξ_∇ = −1/ln χ₁(q*): negative in the chaotic phase (its magnitude is the growth length).
    public var xiGradient: Double { -1 / Foundation.log(chi1AtFixedPoint) }

    /// The correlation map c ↦ c' at q = q*.
    public func correlationMap(_ c: Double) -> Double {
        let q = qStar
        if let a = reluSlope, a == 0 {
            let cc = Swift.min(Swift.max(c, -1), 1)
            let k = ((1 - cc * cc).squareRoot() + (Double.pi - Foundation.acos(cc)) * cc) / (2 * Double.pi)
            return (sigmaW2 * q * k + sigmaB2) / q
        }
        let s = q.squareRoot(), r = Swift.max(0, 1 - c * c).squareRoot()
        let e = rule.expect2 { z1, z2 in activation.reference(s * z1) * activation.reference(s * (c * z1 + r * z2)) }
        return (sigmaW2 * e + sigmaB2) / q
    }

    /// χ_c(c) = σ_w² E[φ'(u₁)φ'(u₂)] at q*.
    public func chiC(_ c: Double) -> Double {
        let q = qStar
        if let a = reluSlope, a == 0 {
            return sigmaW2 * (Double.pi - Foundation.acos(Swift.min(Swift.max(c, -1), 1))) / (2 * Double.pi)
        }
        let s = q.squareRoot(), r = Swift.max(0, 1 - c * c).squareRoot()
        func d(_ x: Double) -> Double { activation.derivative(x: x, y: activation.reference(x)) }
        return sigmaW2 * rule.expect2 { z1, z2 in d(s * z1) * d(s * (c * z1 + r * z2)) }
    }

    /// c*: 1 in the ordered phase (χ₁ ≤ 1), else the root of c-map(c) = c in (0, 1) by bisection.
    public var cStar: Double {
        guard chi1AtFixedPoint > 1 else { return 1 }
        var lo = 0.0, hi = 1 - 1e-9
        if correlationMap(lo) < lo { return 0 }
        for _ in 0..<100 {
            let mid = (lo + hi) / 2
            if correlationMap(mid) > mid { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }

    /// ξ_c = −1/ln χ_c(c*) (= ξ_∇ in the ordered phase, diverging on the critical line).
    public var xiC: Double {
        let c = cStar
        let chi = c >= 1 ? chi1AtFixedPoint : chiC(c)
        return -1 / Foundation.log(chi)
    }

    /// Predicted trainable depth ≈ 6ξ_c (Schoenholz et al. 2017).
    public var trainableDepth: Double { 6 * Swift.abs(xiC) }

    /// q¹ … q^L along the actual forward trajectory from inputs with ‖x‖²/N₀ = `inputVariance`.
    public func trajectory(depth: Int, inputVariance: Double = 1) -> [Double] {
        var q = [sigmaW2 * inputVariance + sigmaB2]
        while q.count < depth { q.append(lengthMap(q.last!)) }
        return q
    }

    /// R(l) = E‖δ^l‖²/E‖δ^L‖² = Π_{k=l}^{L−1} χ₁(q^k) for l = 1…L (input layer first; R(L) = 1),
    /// along the actual trajectory — not χ₁(q*)^{L−l}, which is wrong until q has settled.
    public func gradientSquaredRatio(depth: Int, inputVariance: Double = 1) -> [Double] {
        let q = trajectory(depth: depth, inputVariance: inputVariance)
        var r = [Double](repeating: 1, count: depth)
        if depth >= 2 { for l in stride(from: depth - 2, through: 0, by: -1) { r[l] = r[l + 1] * chi1(q[l]) } }
        return r
    }

    /// The σ_w² with χ₁(q*) = 1 at this σ_b² (bisection on [0.1, 20]).
    public static func criticalSigmaW2(activation: ActivationKind, sigmaB2: Double, quadrature: GaussHermite = GaussHermite()) throws -> Double {
        func f(_ w: Double) -> Double { SignalPropagation(activation: activation, sigmaW2: w, sigmaB2: sigmaB2, quadrature: quadrature).chi1AtFixedPoint - 1 }
        var lo = 0.1, hi = 20.0
        guard f(lo) < 0, f(hi) > 0 else {
            throw GradLabError.invalid("no critical σ_w² in [0.1, 20] for \(activation.rawValue) at σ_b² = \(sigmaB2)")
        }
        for _ in 0..<80 { let mid = (lo + hi) / 2; if f(mid) < 0 { lo = mid } else { hi = mid } }
        return (lo + hi) / 2
    }
}
