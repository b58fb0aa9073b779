/// Residual connections y = x + α·F(x) and a residual MLP builder.
///
/// The identity path carries signal and gradient through any depth; what is left to control is
/// how much each branch F adds. With α = 1 and He-initialized branches the stream's variance
/// doubles per block (Var(x_L) ≈ 2^L·Var(x₀)); 1/√L scaling, SkipInit and Fixup keep it O(1).
extension Var {
    /// y = x + α·branch for a constant α. Backward: dx = dy, dbranch = α·dy.
    @_specialize(where S == Float)
    public func addingScaled(_ branch: Var, by alpha: S) -> Var {
        let x = self
        precondition(x.shape == branch.shape, "residual: branch output \(branch.shape) ≠ input \(x.shape)")
        let y = alpha == 1 ? x.value.adding(branch.value) : x.value.zip(branch.value) { $0 + alpha * $1 }
        return tape.record(y, inputs: [x, branch]) { g, put in
            put(x.id, g)
            if x.tape.needsGrad(branch) { put(branch.id, alpha == 1 ? g : g * alpha) }
        }
    }

    /// y = x + α·branch for a scalar `alpha` (shape []) on the tape.
    /// Backward: dx = dy, dbranch = α·dy, dα = Σ dy ⊙ branch.
    @_specialize(where S == Float)
    public func addingScaled(_ branch: Var, by alpha: Var) -> Var {
        let x = self
        precondition(x.shape == branch.shape, "residual: branch output \(branch.shape) ≠ input \(x.shape)")
        precondition(alpha.value.count == 1, "residual: α must be a scalar, got shape \(alpha.shape)")
        let a = alpha.value.scalars[0], b = branch.value
        return tape.record(x.value.zip(b) { $0 + a * $1 }, inputs: [x, branch, alpha]) { g, put in
            put(x.id, g)
            if x.tape.needsGrad(branch) { put(branch.id, g * a) }
            if x.tape.needsGrad(alpha) {
                var s: S = 0
                for i in 0..<g.count { s += g.scalars[i] * b.scalars[i] }
                put(alpha.id, Tensor(shape: alpha.shape, scalars: [s]))
            }
        }
    }
}

/// How a residual block scales its branch.
public enum ResidualAlpha: Equatable, Sendable, CustomStringConvertible {
    /// A constant α, e.g. 1, or 1/√L for L blocks.
    case fixed(Double)
    /// A trainable scalar parameter `alpha` starting at `initial`; 0 is SkipInit (De & Smith
    /// 2020): every block is the identity at initialization.
    case trainable(initial: Double)

    public static let skipInit = ResidualAlpha.trainable(initial: 0)

    public var description: String {
        switch self {
        case .fixed(let a): return "α=\(a)"
        case .trainable(let a): return "α trainable, from \(a)"
        }
    }
}

/// A residual block y = x + α·branch(x) (He et al. 2016). The branch may be any layer whose
/// output shape equals its input shape. Parameters: the branch's as `branch.<name>`, then
/// `alpha` (shape [], a scalar) when α is trainable.
public final class Residual<S: Scalar>: StatefulLayer {
    public let branch: any Layer<S>
    public let scale: ResidualAlpha
    /// The trainable α, when `scale` is `.trainable`.
    public let alpha: Parameter<S>?

    public init(_ branch: any Layer<S>, scale: ResidualAlpha = .fixed(1)) throws {
        self.branch = branch
        self.scale = scale
        switch scale {
        case .fixed(let a):
            guard a.isFinite else { throw GradLabError.invalid("residual scale α = \(a) must be finite") }
            alpha = nil
        case .trainable(let a):
            guard a.isFinite else { throw GradLabError.invalid("residual scale α = \(a) must start finite") }
            alpha = Parameter(Tensor(S(a)))
        }
    }

    public func forward(_ x: Var<S>) -> Var<S> {
        let f = branch.forward(x)
        switch scale {
        case .fixed(let a): return x.addingScaled(f, by: S(a))
        case .trainable: return x.addingScaled(f, by: x.tape.parameter(alpha!))
        }
    }

    public var namedParameters: [(name: String, parameter: Parameter<S>)] {
        branch.namedParameters.map { ("branch.\($0.name)", $0.parameter) } + (alpha.map { [("alpha", $0)] } ?? [])
    }
    public var namedBuffers: [(name: String, tensor: Tensor<S>)] {
        branch.buffers.map { ("branch.\($0.name)", $0.tensor) }
    }
    public func loadBuffer(name: String, _ tensor: Tensor<S>) throws {
        guard try loadChildBuffer(branch, name: name, prefix: "branch.", tensor) else {
            throw GradLabError.invalid("residual block has no buffer named '\(name)'")
        }
    }
    public var summary: String { "Residual(\(scale), \(branch.summary))" }
    public var probeRole: ProbeRole<S> { (branch as? Sequential<S>).map { .container($0, prefix: "branch.") } ?? .opaque }
    public func outputShape(for input: [Int]) throws -> [Int] {
        let out = try branch.outputShape(for: input)
        guard out == input else {
            throw GradLabError.invalid("residual branch maps \(input) to \(out); its output must have the input's shape")
        }
        return input
    }
}

/// Normalization inside residual blocks.
public enum NormalizationKind: String, CaseIterable, Equatable, Sendable {
    case none, layer, batch
}

/// How the residual MLP builder scales each branch.
public enum BranchScale: Equatable, Sendable, CustomStringConvertible {
    /// α = 1: the plain residual network.
    case one
    /// A constant α, e.g. 1/√L.
    case fixed(Double)
    /// Trainable α = 0 per block (SkipInit, De & Smith 2020).
    case skipInit
    /// Fixup initialization (Zhang, Dauphin & Ma 2019), α = 1.
    case fixup

    public var description: String {
        switch self {
        case .one: return "one"
        case .fixed(let a): return "fixed(\(a))"
        case .skipInit: return "skipinit"
        case .fixup: return "fixup"
        }
    }
}

extension Sequential {
    /// A residual MLP: a Dense stem (inputs → width), `blocks` residual blocks, then [norm] → φ →
    /// Dense head (width → outputs, logits).
    ///
    /// Each block is x + α·F(x) with the full pre-activation branch of He et al. 2016 ("Identity
    /// mappings in deep residual networks"): F = [norm] → φ → Dense → [norm] → φ → Dense, all
    /// Dense layers width → width drawn from `initializer`. `branchScale` picks α:
    /// - `.one`, `.fixed(a)`: α = 1 or a (e.g. 1/√L for L blocks).
    /// - `.skipInit`: a trainable α starting at 0, so the network starts as stem → head.
    /// - `.fixup`: α = 1 with Fixup's rescaling (Zhang, Dauphin & Ma 2019): the last Dense of each
    ///   branch and the head start at zero; the branch's first Dense weight is scaled by
    ///   L^(−1/(2m−2)) = L^(−1/2) for m = 2 layers per branch. Fixup's scalar biases and
    ///   multipliers are not added (the Dense biases play the scalar biases' role).
    ///
    /// Layer names: `layers.0` stem, `layers.1 … layers.<blocks>` the blocks (branch parameters
    /// `layers.<i>.branch.layers.<j>.<name>`, plus `layers.<i>.alpha` for SkipInit), then the head.
    public static func residualMLP(inputs: Int, width: Int, blocks: Int, outputs: Int, activation: ActivationKind,
                                   initializer: Initializer, normalization: NormalizationKind = .none,
                                   branchScale: BranchScale = .one, rng: inout SeededRandom) throws -> Sequential {
        guard inputs > 0, width > 0, outputs > 0 else {
            throw GradLabError.invalid("residual MLP sizes must be positive, got inputs \(inputs), width \(width), outputs \(outputs)")
        }
        guard blocks >= 0 else { throw GradLabError.invalid("residual MLP needs blocks ≥ 0, got \(blocks)") }
        func norm() throws -> [any Layer<S>] {
            switch normalization {
            case .none: return []
            case .layer: return [try LayerNorm<S>(width)]
            case .batch: return [try BatchNorm<S>(width)]
            }
        }
        let alpha: ResidualAlpha
        switch branchScale {
        case .one, .fixup: alpha = .fixed(1)
        case .fixed(let a): alpha = .fixed(a)
        case .skipInit: alpha = .skipInit
        }
        let fixupScale = S(1 / Double(Swift.max(blocks, 1)).squareRoot())
        var layers: [any Layer<S>] = [Dense<S>(inputs, width, initializer: initializer, rng: &rng)]
        for _ in 0..<blocks {
            let first = Dense<S>(width, width, initializer: initializer, rng: &rng)
            let second = Dense<S>(width, width, initializer: initializer, rng: &rng)
            if branchScale == .fixup {
                first.weight.value = first.weight.value * fixupScale
                zeroed(second)
            }
            let branch = Sequential(try norm() + [Activation<S>(activation), first] + norm() + [Activation<S>(activation), second])
            layers.append(try Residual(branch, scale: alpha))
        }
        let head = Dense<S>(width, outputs, initializer: initializer, rng: &rng)
        if branchScale == .fixup { zeroed(head) }
        layers += try norm() + [Activation<S>(activation), head]
        return Sequential(layers)
    }
}

private func zeroed<S: Scalar>(_ d: Dense<S>) {
    d.weight.value = Tensor(zeros: d.weight.value.shape)
    if let b = d.bias { b.value = Tensor(zeros: b.value.shape) }
}
