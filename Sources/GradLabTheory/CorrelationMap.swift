import Foundation

/// The correlation map of two inputs at the fixed length q* (Poole et al. 2016; Schoenholz et al.
/// 2017), with u₁ = √q* z₁, u₂ = √q*(c z₁ + √(1−c²) z₂):
///   c ↦ (σ_w² E[φ(u₁)φ(u₂)] + σ_b²)/q*,   χ_c(c) = σ_w² E[φ'(u₁)φ'(u₂)],
/// c* its stable fixed point, ξ_c = 1/|ln χ_c(c*)| and the trainable depth ≈ 6ξ_c. None of these is
/// defined where q* diverges.
extension SignalPropagation {
    /// The correlation map c ↦ c' at q = q* (NaN where q* diverges).
    public func correlationMap(_ c: Double) -> Double {
        let q = lengthFixedPoint
        guard q.isFinite, q > 0 else { return .nan }
        if let a = reluSlope, a == 0 {
            let cc = Swift.min(Swift.max(c, -1), 1)
            let k = ((1 - cc * cc).squareRoot() + (Double.pi - Foundation.acos(cc)) * cc) / (2 * Double.pi)
            return (sigmaW2 * q * k + sigmaB2) / q
        }
        let s = q.squareRoot(), r = Swift.max(0, 1 - c * c).squareRoot()
        let e = rule.expect2 { z1, z2 in activation.reference(s * z1) * activation.reference(s * (c * z1 + r * z2)) }
        // Normalised by the same rule's value at c = 1 (q* itself), so c-map(1) = 1 exactly and a
        // fixed point near 1 is not an artefact of two quadratures disagreeing.
        let same = rule.expect { z in let v = activation.reference(s * z); return v * v }
        return (sigmaW2 * e + sigmaB2) / (sigmaW2 * same + sigmaB2)
    }

    /// χ_c(c) = σ_w² E[φ'(u₁)φ'(u₂)] at q*; χ_c(1) = χ₁.
    public func chiC(_ c: Double) -> Double {
        let q = lengthFixedPoint
        if c >= 1 { return chi1AtFixedPoint }
        if let a = reluSlope, a == 0 {
            return sigmaW2 * (Double.pi - Foundation.acos(Swift.min(Swift.max(c, -1), 1))) / (2 * Double.pi)
        }
        let s = q.squareRoot(), r = Swift.max(0, 1 - c * c).squareRoot()
        func d(_ x: Double) -> Double { activation.derivative(x: x, y: activation.reference(x)) }
        return sigmaW2 * rule.expect2 { z1, z2 in d(s * z1) * d(s * (c * z1 + r * z2)) }
    }

    /// c* as a number: 1 in the ordered phase (χ₁ ≤ 1, or q* = 0 where every input collapses),
    /// else the root of c-map(c) = c in [0, 1) by bisection; nil where the tensor-product rule does
    /// not resolve the map at this q* (far into saturation or a kink), seen as a "fixed point" the
    /// map does not contract at: a stable one has χ_c(c*) < 1 (allowed `stabilitySlack` for the rule).
    var correlationFixedPoint: Double? {
        guard chi1AtFixedPoint > 1, lengthFixedPoint > 0 else { return 1 }
        var lo = 0.0, hi = 1 - 1e-9
        if correlationMap(lo) < lo { return 0 }
        for _ in 0..<60 {
            let mid = (lo + hi) / 2
            if correlationMap(mid) > mid { lo = mid } else { hi = mid }
        }
        let c = (lo + hi) / 2
        return chiC(c) <= 1 + Self.stabilitySlack ? c : nil
    }

    /// How far above 1 the quadrature's χ_c(c*) may be at a fixed point taken as stable.
    public static let stabilitySlack = 1e-3

    var unresolved: String {
        String(format: "the quadrature does not resolve the correlation map at q* = %.3g (far into saturation or a kink)", lengthFixedPoint)
    }

    /// c*, the stable fixed point of the correlation map.
    public var cStar: Prediction {
        if lengthDiverges { return .undefined(because: Self.noLength) }
        return correlationFixedPoint.map { .value($0) } ?? .undefined(because: unresolved)
    }

    /// ξ_c = 1/|ln χ_c(c*)| (= ξ_∇ in the ordered phase, diverging on the critical line).
    public var xiC: Prediction {
        if lengthDiverges { return .undefined(because: Self.noLength) }
        guard let c = correlationFixedPoint else { return .undefined(because: unresolved) }
        return Self.depthScale(rate: chiC(c), of: "χ_c(c*)")
    }

    /// Predicted trainable depth ≈ 6ξ_c (Schoenholz et al. 2017), "> cap" near the critical line.
    public var trainableDepth: Prediction {
        let why = "6ξ_c grows without bound toward the critical line"
        switch xiC {
        case .value(let xi) where 6 * xi <= Self.trainableDepthCap: return .value(6 * xi)
        case .value, .diverges, .above: return .above(Self.trainableDepthCap, because: why)
        case .undefined(let reason): return .undefined(because: reason)
        }
    }
}
