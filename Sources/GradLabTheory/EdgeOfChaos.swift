import GradLab

/// The edge-of-chaos initializer: σ_w² on the critical line χ₁(q*) = 1 for the activation at the
/// chosen σ_b² (Schoenholz et al. 2017), with Gaussian or orthogonal weights (Pennington et al.
/// 2017: orthogonal weights at small q* bring tanh nets close to dynamical isometry).
public enum EdgeOfChaos {
    public static let names = ["edge-of-chaos", "edge-of-chaos-orthogonal"]

    public static func initializer(activation: ActivationKind, sigmaB2: Double, orthogonal: Bool = false) throws -> (Initializer, sigmaW2: Double) {
        let w2 = try SignalPropagation.criticalSigmaW2(activation: activation, sigmaB2: sigmaB2)
        return (orthogonal ? .orthogonal(gain: w2.squareRoot()) : .normal(sigmaW2: w2, sigmaB2: sigmaB2), w2)
    }

    /// Rewrites a config whose `init` names the edge of chaos into the concrete initializer
    /// (`normal` or `orthogonal` with the critical σ_w²), so it can be saved and rerun exactly.
    public static func resolve(_ config: inout RunConfig) throws {
        guard names.contains(config.initializer) else { return }
        guard let act = ActivationKind(rawValue: config.activation) else { return }   // validate() names the problem
        let orthogonal = config.initializer == names[1]
        let (_, w2) = try initializer(activation: act, sigmaB2: config.sigmaB2, orthogonal: orthogonal)
        config.initializer = orthogonal ? "orthogonal" : "normal"
        config.sigmaW2 = w2
    }
}
