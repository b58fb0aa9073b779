import ArgumentParser
import Foundation
import GradLab
import GradLabDiagnostics
import GradLabTheory

/// `gradlab theory`: what mean-field theory predicts for a deep MLP at initialization.
struct Theory: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict per-layer gradients from signal-propagation theory (before any training).",
        discussion: """
        Gradient ratios are of squared norms, E‖δ^l‖²/E‖δ^L‖², along the actual forward
        trajectory q^l from the inputs (q¹ = σ_w²·‖x‖²/N + σ_b²); their square root is the norm ratio.
        Examples:
          gradlab theory --activation tanh --sigma-w2 1.76 --sigma-b2 0.05 --depth 50
          gradlab theory --activation relu --sigma-w2 1 --depth 30          # Xavier-like: ×0.5 per layer
          gradlab theory --critical tanh --sigma-b2 0.05                    # the edge of chaos
          gradlab theory --activation tanh --sigma-w2 4 --sigma-b2 0.05 --json
        """)

    @Option(help: "Activation: \(ActivationKind.allCases.map(\.rawValue).joined(separator: ", ")).") var activation = "tanh"
    @Option(name: .customLong("sigma-w2"), help: "Weight variance × fan-in, σ_w² (W ~ N(0, σ_w²/fan_in)).") var sigmaW2: Double?
    @Option(name: .customLong("sigma-b2"), help: "Bias variance σ_b².") var sigmaB2 = 0.05
    @Option(help: "Number of layers L.") var depth = 50
    @Option(name: .customLong("input-variance"), help: "‖x‖²/N of the inputs (1 for standardized data).") var inputVariance = 1.0
    @Option(help: "Find the critical σ_w² (χ₁ = 1) for this activation at --sigma-b2.") var critical: String?
    @Option(help: "Gauss–Hermite quadrature points.") var quadrature = 101
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        func kind(_ name: String) throws -> ActivationKind {
            guard let k = ActivationKind(rawValue: name) else {
                throw GradLabError.invalid("activation '\(name)' is not known; allowed: \(ActivationKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return k
        }
        guard depth >= 1 && depth <= 100_000 else { throw GradLabError.invalid("depth \(depth) must be in 1…100000") }
        guard sigmaB2 >= 0 && sigmaB2.isFinite else { throw GradLabError.invalid("sigma-b2 \(sigmaB2) must be ≥ 0") }
        guard inputVariance >= 0 && inputVariance.isFinite else { throw GradLabError.invalid("input-variance \(inputVariance) must be ≥ 0") }
        guard quadrature >= 8 && quadrature <= 1000 else { throw GradLabError.invalid("quadrature \(quadrature) must be in 8…1000") }
        let rule = GaussHermite(order: quadrature)
        let act = try kind(critical ?? activation)
        var criticalW2: Double?
        if critical != nil { criticalW2 = try SignalPropagation.criticalSigmaW2(activation: act, sigmaB2: sigmaB2, quadrature: rule) }
        let w2 = sigmaW2 ?? criticalW2 ?? 1.76
        guard w2 > 0 && w2.isFinite else { throw GradLabError.invalid("sigma-w2 \(w2) must be a positive number") }
        let sp = SignalPropagation(activation: act, sigmaW2: w2, sigmaB2: sigmaB2, quadrature: rule)
        let q = sp.trajectory(depth: depth, inputVariance: inputVariance)
        let ratio = sp.gradientSquaredRatio(depth: depth, inputVariance: inputVariance)
        let chi = sp.chi1AtFixedPoint
        let phase = sp.phase(depth: depth)
        let (cStar, xiQ, xiC, xiGrad, trainable) = (sp.cStar, sp.xiQ, sp.xiC, sp.xiGradient, sp.trainableDepth)
        let (gauss, ortho) = (sp.jacobianSpectrum(depth: depth, orthogonal: false), sp.jacobianSpectrum(depth: depth, orthogonal: true))
        let range = String(format: "beyond Double's range: χ₁^L = 10^%.0f", phase.log10Growth)
        let spectrum = [Prediction(gauss.mean, because: range), Prediction(gauss.variance, because: range), Prediction(ortho.variance, because: range)]
        let isometry = JacobianSpectra.isNearIsometry(meanSquared: ortho.mean, variance: ortho.variance)
        if json {
            var out: [String: Any] = [
                "activation": act.rawValue, "sigma_w2": w2, "sigma_b2": sigmaB2, "depth": depth, "input_variance": inputVariance,
                "chi1": chi, "phase": phase.kind.rawValue, "phase_label": phase.label, "grad_sq_change_log10": phase.log10Growth,
                "orthogonal_dynamical_isometry": isometry,
            ]
            if let criticalW2 { out["critical_sigma_w2"] = criticalW2 }
            for (key, p) in [("q_star", sp.qStar), ("c_star", cStar), ("xi_q", xiQ), ("xi_c", xiC), ("xi_grad", xiGrad), ("trainable_depth", trainable),
                             ("jacobian_sq_sv_mean", spectrum[0]), ("jacobian_sq_sv_variance_gaussian", spectrum[1]),
                             ("jacobian_sq_sv_variance_orthogonal", spectrum[2])] {
                out.merge(p.json(key)) { a, _ in a }
            }
            // Entries beyond Double's range are null, with the reason beside the list.
            for (key, list) in [("q", q), ("predicted_grad_sq_ratio", ratio)] {
                out[key] = list.map { $0.isFinite ? $0 as Any : NSNull() }
                if list.contains(where: { !$0.isFinite }) { out[key + "_reason"] = "null entries are beyond Double's range (overflow)" }
            }
            print(String(data: try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]), encoding: .utf8)!)
            return
        }
        if let criticalW2 { print(String(format: "critical σ_w² for %@ at σ_b² = %g: %.6f (χ₁ = 1)\n", act.rawValue, sigmaB2, criticalW2)) }
        print(String(format: "%@, σ_w² = %g, σ_b² = %g, depth %d, input ‖x‖²/N = %g", act.rawValue, w2, sigmaB2, depth, inputVariance))
        print("  q* = \(sp.qStar.text("%.6g"))")
        print(String(format: "  χ₁ = %.6f — %@", chi, phase.label))
        // An undefined quantity shows as the word; its reason (one for all of them) follows once.
        func shown(_ p: Prediction, _ format: String = "%.3g", unit: String = "") -> String {
            if case .undefined = p { return "undefined" }
            return p.text(format, unit: unit)
        }
        print("  c* = \(shown(cStar, "%.6f"))   ξ_q = \(shown(xiQ))   ξ_c = \(shown(xiC))   ξ_∇ = \(shown(xiGrad))   (ξ = 1/|ln χ|)")
        print("  trainable depth ≈ 6ξ_c = \(shown(trainable, "%.0f", unit: " layers"))")
        let undefinedBecause = [cStar, xiQ, xiC, trainable].compactMap { p -> String? in if case .undefined(let why) = p { return why }; return nil }
        for why in Set(undefinedBecause).sorted() { print("  undefined: \(why)") }
        print("  input–output Jacobian, squared singular values: mean \(spectrum[0].text()); variance \(spectrum[1].text()) with Gaussian weights, "
              + "\(spectrum[2].text()) with orthogonal ones"
              + (isometry ? String(format: " (orthogonal ≈ dynamical isometry: |mean − 1| and std ≤ %g)", JacobianSpectra.isometryTolerance) : ""))
        print("\nPredicted E‖δ^l‖²/E‖δ^L‖² along the forward trajectory (input layer first; norms: the square root):")
        let rows = Array(Set([0, depth - 1] + stride(from: 0, to: depth, by: max(1, depth / 20)))).sorted()
        print(GradientChart.render(names: rows.map { "l=" + "\($0 + 1)".padding(toLength: 5, withPad: " ", startingAt: 0) + "q=" + (q[$0].isFinite ? String(format: "%-9.3g", q[$0]) : "overflow ") },
                                   values: rows.map { ratio[$0] }, width: 36))
        if ratio.contains(where: { !$0.isFinite || $0 == 0 }) { print("  (Inf and 0 mark ratios beyond Double's range)") }
        if let d = trainable.value, Double(depth) > d {
            print(String(format: "\n%d layers is beyond the predicted trainable depth (%.0f): expect this net not to train.", depth, d))
        }
    }
}
