import GradLabDiagnostics

/// The per-layer probe columns after (run_id, step, layer, name, activation), in table order, as
/// both stores write them: counts are integers, the rest reals (nil: not measured).
enum ProbeColumns {
    enum Value { case real(Double?), count(Int) }

    static let all: [(name: String, value: (LayerStats) -> Value)] = [
        ("grad_norm", { .real($0.gradNorm) }), ("grad_rms", { .real($0.gradRMS) }), ("grad_max_abs", { .real($0.gradMaxAbs) }),
        ("grad_mean_abs", { .real($0.gradMeanAbs) }), ("grad_zero_fraction", { .real($0.gradZeroFraction) }),
        ("grad_nonfinite", { .count($0.gradNonFinite) }), ("bias_grad_norm", { .real($0.biasGradNorm) }),
        ("weight_norm", { .real($0.weightNorm) }), ("weight_std", { .real($0.weightStd) }), ("update_norm", { .real($0.updateNorm) }),
        ("update_ratio", { .real($0.updateRatio) }), ("activation_mean", { .real($0.activationMean) }),
        ("activation_std", { .real($0.activationStd) }), ("activation_nonfinite", { .count($0.activationNonFinite) }),
        ("saturated", { .real($0.saturatedFraction) }), ("dead", { .real($0.deadFraction) }), ("delta_norm", { .real($0.deltaNorm) }),
        ("delta_nonfinite", { .count($0.deltaNonFinite) }), ("gain", { .real($0.gain) }), ("gain_product", { .real($0.gainProduct) }),
        ("jacobian_sigma_max", { .real($0.jacobianSigmaMax) }), ("jacobian_mean_sq_sigma", { .real($0.jacobianMeanSquaredSigma) }),
    ]
}
