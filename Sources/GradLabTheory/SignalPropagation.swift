import Foundation
import GradLab

/// Mean-field signal propagation through a deep fully connected net at initialization
/// (Poole et al. 2016; Schoenholz et al. 2017), for h^l = W^l φ(h^{l−1}) + b^l with
/// W ~ N(0, σ_w²/fan_in) and b ~ N(0, σ_b²). All gradient ratios are of **squared** norms.
///
///   length map   q^{l+1} = σ_w² E[φ(√q z)²] + σ_b²,      fixed point q*
///   χ₁(q)        = σ_w² E[φ'(√q z)²]                    (per-layer factor of E‖δ‖²)
///   correlation  c^{l+1} = (σ_w² E[φ(u₁)φ(u₂)] + σ_b²)/q*, fixed point c*
///   depth scales ξ = 1/|ln χ| for the rate χ at which each map approaches its fixed point:
///                ξ_q from the slope of the length map at q*, ξ_∇ from χ₁(q*), ξ_c from
///                χ_c(c*) with χ_c(c) = σ_w² E[φ'(u₁)φ'(u₂)]; positive by definition, diverging
///                where the rate is 1 (the critical line)
///   trainable depth ≈ 6 ξ_c.
/// Where the length map has no fixed point (ReLU-like units with σ_w²·E[φ'²] ≥ 1 at large q), q*
/// diverges, χ₁ is its q → ∞ limit, and c*, ξ_q, ξ_c and the trainable depth are undefined; every
/// such quantity is a `Prediction` that says so instead of a NaN or ∞.
/// ReLU and leaky ReLU use closed forms (quadrature converges slowly across a kink); other
/// activations use Gauss–Hermite quadrature. Orthogonal weights give the same wide-limit maps.
public struct SignalPropagation: Sendable {
    public let activation: ActivationKind
    public let sigmaW2: Double
    public let sigmaB2: Double
    let rule: GaussHermite
    /// q*, or +∞ when the length map has no fixed point.
    public private(set) var lengthFixedPoint: Double = 1
    /// Where χ₁ is taken: q*, or a length at which every activation is in its q → ∞ regime.
    private(set) var chiLength: Double = 1

    /// Lengths beyond this count as diverging (every activation is in its asymptotic regime there).
    static let divergedLength = 1e12
    /// The largest trainable depth stated as a number; beyond it, "> cap layers".
    public static let trainableDepthCap = 100_000.0

    public init(activation: ActivationKind, sigmaW2: Double, sigmaB2: Double, quadrature: GaussHermite = GaussHermite()) {
        self.activation = activation; self.sigmaW2 = sigmaW2; self.sigmaB2 = sigmaB2; self.rule = quadrature
        (lengthFixedPoint, chiLength) = findLengthFixedPoint()
    }

    /// Negative slope of the ReLU family (0 for ReLU), nil for smooth activations.
    var reluSlope: Double? {
        switch activation { case .relu: return 0; case .leakyRelu: return ActivationKind.leakySlope; default: return nil }
    }

    /// E[φ(√q z)²].
    public func meanSquare(_ q: Double) -> Double {
        if let a = reluSlope { return q * (1 + a * a) / 2 }
        if activation == .identity { return q }
        return rule.expect(scale: q.squareRoot()) { x in let v = activation.reference(x); return v * v }
    }

    /// E[φ'(√q z)²].
    public func meanSquareDerivative(_ q: Double) -> Double {
        if let a = reluSlope { return (1 + a * a) / 2 }
        if activation == .identity { return 1 }
        return rule.expect(scale: q.squareRoot()) { x in let d = activation.derivative(x: x, y: activation.reference(x)); return d * d }
    }

    /// E[φ'(√q z)⁴] (the second moment of D² in the Jacobian's spectrum).
    public func meanFourthDerivative(_ q: Double) -> Double {
        if let a = reluSlope { return (1 + a * a * a * a) / 2 }
        if activation == .identity { return 1 }
        return rule.expect(scale: q.squareRoot()) { x in let d = activation.derivative(x: x, y: activation.reference(x)); return d * d * d * d }
    }

    /// Moments of the squared singular values λ of the input–output Jacobian J of a depth-L
    /// net at the fixed point q* (Pennington, Schoenholz & Ganguli 2017, free probability):
    /// mean χ₁^L for Gaussian and orthogonal weights alike, and, at criticality, variance
    /// L·(μ₂/μ₁² − 1 − s₁) with μ_k = E[φ'(√q* z)^{2k}] and s₁ = −1 for Gaussian weights, 0 for
    /// orthogonal ones. This is where the two differ: for linear nets the variance is L against
    /// 0 (every singular value exactly 1), for ReLU 2L against L, for tanh at small q* near L
    /// against near 0 (dynamical isometry). Away from criticality the variance is scaled by the
    /// mean squared (χ₁^{2L}), an approximation.
    /// Either may over- or underflow for deep nets far from χ₁ = 1 (callers wrap them in `Prediction`).
    public func jacobianSpectrum(depth: Int, orthogonal: Bool) -> (mean: Double, variance: Double) {
        let m1 = meanSquareDerivative(chiLength), m2 = meanFourthDerivative(chiLength)
        let mean = Foundation.pow(sigmaW2 * m1, Double(depth))
        let s1 = orthogonal ? 0.0 : -1.0
        return (mean, mean * mean * Double(depth) * (m2 / (m1 * m1) - 1 - s1))
    }

    public func lengthMap(_ q: Double) -> Double { sigmaW2 * meanSquare(q) + sigmaB2 }
    public func chi1(_ q: Double) -> Double { sigmaW2 * meanSquareDerivative(q) }

    /// The fixed point of the length map, iterated from q = 1, and the length to take χ₁ at.
    /// q* = +∞ when q passes `divergedLength` or is still rising when the iteration stops (a map
    /// that grows linearly, like the identity at σ_w² = 1 with σ_b² > 0).
    func findLengthFixedPoint() -> (q: Double, chiLength: Double) {
        if let a = reluSlope {
            let slope = sigmaW2 * (1 + a * a) / 2
            if slope < 1 { let q = sigmaB2 / (1 - slope); return (q, q) }
            return sigmaB2 == 0 && slope == 1 ? (1, 1) : (.infinity, Self.divergedLength)
        }
        var q = 1.0
        for _ in 0..<100_000 {
            let next = lengthMap(q)
            if !next.isFinite || next > Self.divergedLength { return (.infinity, Self.divergedLength) }
            if abs(next - q) < 1e-14 * Swift.max(1, q) { return (next, next) }
            q = next
        }
        return lengthMap(q) > q ? (.infinity, Self.divergedLength) : (q, q)
    }

    /// Whether the length map has no fixed point: q^l grows without bound.
    public var lengthDiverges: Bool { !lengthFixedPoint.isFinite }
    static let noLength = "q* diverges: activations grow without bound, so no fixed point sets this"

    /// q*, the fixed point of the length map.
    public var qStar: Prediction {
        Prediction(lengthFixedPoint, because: "the length map has no fixed point at this σ_w²: q^l grows without bound")
    }

    /// χ₁ at the fixed point (always finite): < 1 ordered (vanishing), > 1 chaotic (exploding),
    /// = 1 critical. Where q* diverges, the q → ∞ limit χ₁ reaches as the activations grow.
    public var chi1AtFixedPoint: Double { chi1(chiLength) }

    /// What the gradients do over `depth` layers: ≈ critical, ordered or chaotic (`GradientPhase`).
    public func phase(depth: Int) -> GradientPhase {
        GradientPhase(chi1: chi1AtFixedPoint, depth: depth, lengthDiverges: lengthDiverges)
    }

    /// ξ = 1/|ln χ| (Schoenholz et al. 2017), positive by definition; diverges where χ = 1.
    static func depthScale(rate chi: Double, of what: String) -> Prediction {
        let l = Foundation.log(chi)
        if l == 0 { return .diverges(because: "\(what) = 1: the critical line, approached slower than exponentially") }
        return Prediction(1 / Swift.abs(l), because: "\(what) is not a positive number")
    }

    /// Slope of the length map at q*: σ_w²·E[φ(√q z)φ'(√q z)z]/√q (Stein's lemma), σ_w²φ'(0)² at q* = 0.
    public var lengthSlope: Double {
        let q = lengthFixedPoint
        if let a = reluSlope { return sigmaW2 * (1 + a * a) / 2 }
        if activation == .identity { return sigmaW2 }
        guard q > 0 else { return chi1(0) }
        let s = q.squareRoot()
        return sigmaW2 * rule.expect(scale: s) { x in let y = activation.reference(x); return y * activation.derivative(x: x, y: y) * x } / (s * s)
    }

    /// ξ_q = 1/|ln (slope of the length map at q*)|: the depth over which q^l settles.
    public var xiQ: Prediction {
        lengthDiverges ? .undefined(because: Self.noLength) : Self.depthScale(rate: lengthSlope, of: "the length map's slope at q*")
    }

    /// ξ_∇ = 1/|ln χ₁(q*)|: the depth over which E‖δ‖² changes by a factor e.
    public var xiGradient: Prediction { Self.depthScale(rate: chi1AtFixedPoint, of: "χ₁") }

    /// q¹ … q^L along the actual forward trajectory from inputs with ‖x‖²/N₀ = `inputVariance`
    /// (+∞ once a diverging length overflows). `firstLayerSigmaW2` is the input layer's weight
    /// variance × fan-in where it differs from the hidden layers' σ_w² (Glorot: 2·fan_in/(fan_in + fan_out)).
    public func trajectory(depth: Int, inputVariance: Double = 1, firstLayerSigmaW2: Double? = nil) -> [Double] {
        var q = [(firstLayerSigmaW2 ?? sigmaW2) * inputVariance + sigmaB2]
        // Past `divergedLength` the map is in its linear regime: grow by its slope there, so a
        // diverging length overflows to +∞ instead of feeding ∞·0 into the quadrature.
        let growth = lengthMap(Self.divergedLength) / Self.divergedLength
        while q.count < depth { let last = q.last!; q.append(last <= Self.divergedLength ? lengthMap(last) : last * growth) }
        return q
    }

    /// R(l) = E‖δ^l‖²/E‖δ^L‖² = Π_{k=l}^{L−1} χ₁(q^k) for l = 1…L (input layer first; R(L) = 1),
    /// along the actual trajectory — not χ₁(q*)^{L−l}, which is wrong until q has settled. Lengths
    /// past `divergedLength` use χ₁'s q → ∞ limit; a product beyond Double's range is +∞ or 0.
    public func gradientSquaredRatio(depth: Int, inputVariance: Double = 1, firstLayerSigmaW2: Double? = nil) -> [Double] {
        let q = trajectory(depth: depth, inputVariance: inputVariance, firstLayerSigmaW2: firstLayerSigmaW2)
        var logR = [Double](repeating: 0, count: depth)
        if depth >= 2 {
            for l in stride(from: depth - 2, through: 0, by: -1) {
                logR[l] = logR[l + 1] + Foundation.log(chi1(Swift.min(q[l], Self.divergedLength)))
            }
        }
        return logR.map { Foundation.exp($0) }
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
