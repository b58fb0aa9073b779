import GradLab

/// The edge-of-chaos initializer: σ_w² on the critical line χ₁(q*) = 1 for the activation at the
/// chosen σ_b² (Schoenholz et al. 2017), with Gaussian or orthogonal weights (Pennington et al.
/// 2017: orthogonal weights at small q* bring tanh nets close to dynamical isometry). Both draw the
/// biases N(0, σ_b²) that the critical σ_w² was chosen for, so the built net sits at χ₁ = 1.
public enum EdgeOfChaos {
    public static func initializer(activation: ActivationKind, sigmaB2: Double, orthogonal: Bool = false) throws -> (Initializer, sigmaW2: Double) {
        let w2 = try SignalPropagation.criticalSigmaW2(activation: activation, sigmaB2: sigmaB2)
        return (orthogonal ? .orthogonal(gain: w2.squareRoot(), sigmaB2: sigmaB2) : .normal(sigmaW2: w2, sigmaB2: sigmaB2), w2)
    }

}

extension RunConfig {
    /// This config with every derived setting made concrete, then validated: an edge-of-chaos
    /// `init` becomes `normal` or `orthogonal` at the critical σ_w² for the activation and σ_b²,
    /// so the config can be saved and rerun exactly. Every path that runs a config calls this.
    public func resolved() throws -> RunConfig {
        var c = self
        if c.initializer == .edgeOfChaos || c.initializer == .edgeOfChaosOrthogonal {
            let orthogonal = c.initializer == .edgeOfChaosOrthogonal
            do {
                let (_, w2) = try EdgeOfChaos.initializer(activation: c.activation, sigmaB2: c.sigmaB2, orthogonal: orthogonal)
                c.initializer = orthogonal ? .orthogonal : .normal
                c.sigmaW2 = w2
            } catch let e as GradLabError {
                throw GradLabError.badValue(key: "init", value: c.initializer.rawValue, message: e.description)
            }
        }
        try c.validate()
        return c
    }
}
