import Foundation
import GradLab

extension SignalPropagation {
    /// The critical line χ₁(q*) = 1 of `activation`, traced by its fixed length instead of by
    /// root-finding σ_w² (which iterates the length map to q* at every trial, slowest exactly near
    /// the line). At a fixed length q, χ₁ = 1 needs σ_w² = 1/E[φ'(√q z)²], and q being the fixed
    /// point needs σ_b² = q − σ_w²·E[φ(√q z)²] (Poole et al. 2016, Schoenholz et al. 2017). Points
    /// with σ_b² in [0, `maxSigmaB2`], by σ_b². For the ReLU family χ₁ = σ_w²(1 + a²)/2 whatever q
    /// is: the vertical line σ_w² = 2/(1 + a²).
    public static func criticalLine(activation: ActivationKind, maxSigmaB2: Double, quadrature: GaussHermite = GaussHermite())
        -> [(sigmaW2: Double, sigmaB2: Double)] {
        // Any point of the ordered phase gives the expectations (they depend on φ and q only).
        let sp = SignalPropagation(activation: activation, sigmaW2: 0.5, sigmaB2: 0, quadrature: quadrature)
        if let a = sp.reluSlope {
            let w = 2 / (1 + a * a)
            return stride(from: 0.0, through: maxSigmaB2, by: maxSigmaB2 / 24).map { (w, $0) }
        }
        let lengths = (0...480).map { 1e-6 * Foundation.pow(10, Double($0) / 60) }   // 10⁻⁶ … 10²
        let line = lengths.compactMap { q -> (sigmaW2: Double, sigmaB2: Double)? in
            let d = sp.meanSquareDerivative(q)
            guard d > 0, d.isFinite else { return nil }
            let w = 1 / d, b = q - w * sp.meanSquare(q)
            return b >= 0 && b <= maxSigmaB2 && w.isFinite ? (w, b) : nil
        }
        return line.sorted { $0.sigmaB2 < $1.sigmaB2 }
    }
}
