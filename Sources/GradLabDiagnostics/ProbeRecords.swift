import GradLab

/// What the probe measured on one Dense layer ("layer" l = the l-th Dense layer from the input,
/// 1-based; `name` is its dotted prefix, e.g. `layers.4`) at one step.
///
/// JSON Lines schema (one object per step and layer, `"type": "layer"`): every field below in
/// snake_case. Gradient fields describe ∂L/∂W of the layer's weight; `delta_*` the back-propagated
/// signal δ_l = ∂L/∂z_l at the layer's pre-activation output z_l = x·Wᵀ + b; `gain` is
/// ‖δ_l‖/‖δ_{l+1}‖, the factor layer l+1 multiplied in, and `gain_product` = ‖δ_l‖/‖δ_L‖, the
/// product of factors from the top down to this layer. Activation fields describe h_l = φ(z_l).
public struct LayerStats: Codable, Equatable, Sendable {
    public var step: Int
    public var layer: Int
    public var name: String
    public var activation: String?
    public var gradNorm: Double = 0
    public var gradRMS: Double = 0
    public var gradMaxAbs: Double = 0
    public var gradMeanAbs: Double = 0
    public var gradZeroFraction: Double = 0
    public var gradNonFinite: Int = 0
    public var biasGradNorm: Double?
    public var weightNorm: Double = .nan
    public var weightStd: Double?
    public var updateNorm: Double = .nan
    public var updateRatio: Double = .nan
    public var activationMean: Double = 0
    public var activationStd: Double = 0
    public var activationNonFinite: Int = 0
    /// Fraction of pre-activations |z| beyond the saturation threshold (sigmoid/tanh-like layers).
    public var saturatedFraction: Double?
    /// Fraction of units whose pre-activation is ≤ 0 for every sample of the batch (ReLU).
    public var deadFraction: Double?
    public var deltaNorm: Double = 0
    public var deltaNonFinite: Int = 0
    public var gain: Double?
    public var gainProduct: Double = 1
    /// Jacobian of this layer's block h_{l−1} → h_l (opt-in): largest singular value and mean σ².
    public var jacobianSigmaMax: Double?
    public var jacobianMeanSquaredSigma: Double?

    enum CodingKeys: String, CodingKey {
        case step, layer, name, activation, gradNorm = "grad_norm", gradRMS = "grad_rms", gradMaxAbs = "grad_max_abs"
        case gradMeanAbs = "grad_mean_abs", gradZeroFraction = "grad_zero_fraction", gradNonFinite = "grad_nonfinite"
        case biasGradNorm = "bias_grad_norm", weightNorm = "weight_norm", weightStd = "weight_std", updateNorm = "update_norm"
        case updateRatio = "update_ratio", activationMean = "activation_mean", activationStd = "activation_std"
        case activationNonFinite = "activation_nonfinite", saturatedFraction = "saturated_fraction", deadFraction = "dead_fraction"
        case deltaNorm = "delta_norm", deltaNonFinite = "delta_nonfinite", gain, gainProduct = "gain_product"
        case jacobianSigmaMax = "jacobian_sigma_max", jacobianMeanSquaredSigma = "jacobian_mean_sq_sigma"
    }
}

/// One probed step: the training metrics and every layer's statistics (`"type": "step"` in JSON
/// Lines, written before its layers). In `gradlab diagnose` streams the first record is the look
/// before training (one forward/backward, nothing updated), then the probed training steps.
public struct ProbeStep: Codable, Equatable, Sendable {
    public var step: Int
    public var loss: Double
    public var accuracy: Double?
    public var gradNorm: Double
    public var learningRate: Double
    public var layers: [LayerStats]
    /// Whole-network input–output Jacobian (opt-in).
    public var jacobianSigmaMax: Double?
    public var jacobianMeanSquaredSigma: Double?

    enum CodingKeys: String, CodingKey {
        case step, loss, accuracy, gradNorm = "grad_norm", learningRate = "learning_rate", layers
        case jacobianSigmaMax = "jacobian_sigma_max", jacobianMeanSquaredSigma = "jacobian_mean_sq_sigma"
    }

    /// First layer (forward order) whose activations are non-finite, then first in backward
    /// order (top-most) whose δ or weight gradient is: where NaN/Inf entered.
    public var firstNonFinite: (layer: Int, pass: String)? {
        if let l = layers.first(where: { $0.activationNonFinite > 0 }) { return (l.layer, "forward") }
        if let l = layers.last(where: { $0.deltaNonFinite > 0 || $0.gradNonFinite > 0 }) { return (l.layer, "backward") }
        return nil
    }
}
