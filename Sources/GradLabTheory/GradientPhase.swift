import Foundation

/// What the back-propagated gradients do over a net of `depth` layers near the fixed point, from χ₁
/// alone: E‖δ^l‖² changes by χ₁ per layer, so by about χ₁^L over L layers (Schoenholz et al. 2017).
///
///   ≈ critical  |ln χ₁|·L ≤ ln 2: E‖δ‖² changes by less than a factor 2 over the whole depth,
///               so at this depth the net behaves as if on the critical line χ₁ = 1;
///   ordered     χ₁ < 1 beyond that band: gradients vanish toward the input;
///   chaotic     χ₁ > 1 beyond that band: gradients explode toward the input.
///
/// The band narrows as L grows: tanh at σ_w² = 1.76, σ_b² = 0.05 (χ₁ = 0.9998) is ≈ critical for
/// 50 layers and ordered for 10,000.
public struct GradientPhase: Equatable, Sendable {
    public enum Kind: String, Sendable { case ordered, critical, chaotic }

    /// The band's bound on |ln χ₁|·L.
    public static let criticalBound = Foundation.log(2.0)

    public let kind: Kind
    public let chi1: Double
    public let depth: Int
    /// The length map has no fixed point (q* diverges): activations grow without bound as well.
    public let lengthDiverges: Bool

    public init(chi1: Double, depth: Int, lengthDiverges: Bool = false) {
        self.chi1 = chi1; self.depth = depth; self.lengthDiverges = lengthDiverges
        let spread = Swift.abs(Foundation.log(Swift.max(chi1, .leastNormalMagnitude))) * Double(depth)
        kind = spread <= Self.criticalBound ? .critical : (chi1 < 1 ? .ordered : .chaotic)
    }

    /// log10 of χ₁^L, the factor E‖δ‖² changes by over the depth (finite for any χ₁ > 0).
    public var log10Growth: Double { Double(depth) * Foundation.log10(Swift.max(chi1, .leastNormalMagnitude)) }

    /// The label and what the user will see at this depth.
    public var label: String {
        let factor = factorText(log10: log10Growth) + " (χ₁^L)"
        switch kind {
        case .critical:
            return String(format: "≈ critical for %d layers (|ln χ₁|·L = %.3g ≤ ln 2): E‖δ‖² changes by about %@ over %d layers",
                          depth, Swift.abs(Foundation.log(chi1)) * Double(depth), factor, depth)
        case .ordered:
            return "ordered: gradients vanish, E‖δ‖² shrinks by about \(factor) over \(depth) layers"
        case .chaotic:
            return (lengthDiverges ? "exploding (q* diverges: activations grow without bound too)" : "chaotic")
                + ": gradients explode, E‖δ‖² grows by about \(factor) over \(depth) layers"
        }
    }
}
