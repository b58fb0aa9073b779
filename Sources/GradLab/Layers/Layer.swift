/// A differentiable building block with named parameters.
///
/// Parameter names are relative to the layer (`weight`, `bias`); containers prefix them with
/// their path (`layers.3.weight`), and probes, checkpoints and reports all use the full name.
public protocol Layer<S>: AnyObject {
    associatedtype S: Scalar
    func forward(_ x: Var<S>) -> Var<S>
    /// Parameters in a fixed order, with names relative to this layer.
    var namedParameters: [(name: String, parameter: Parameter<S>)] { get }
    /// One-line description for summaries, e.g. `Dense(64 → 256)`.
    var summary: String { get }
    /// Output shape for an input shape (batch axis included); throws on a mismatch.
    func outputShape(for input: [Int]) throws -> [Int]
    /// What a gradient probe may measure in this layer (default: nothing).
    var probeRole: ProbeRole<S> { get }
}

/// What a layer offers a gradient probe, declared by the layer itself so the probe needs no list
/// of layer types: a new layer type is probed as soon as it states its role.
public enum ProbeRole<S: Scalar> {
    /// A learned affine map y = W·x + b (W [out, in]): the probe measures ‖∂L/∂W‖, δ = ∂L/∂y at
    /// its output, the update ‖ΔW‖/‖W‖, and the activation that follows it.
    case linear(weight: Parameter<S>, bias: Parameter<S>?)
    /// An element-wise nonlinearity φ: activation statistics, saturation, dead units.
    case activation(ActivationKind)
    /// A normalization between a linear map and its activation (saturation is read after it).
    case normalization
    /// A container whose layers the probe walks (e.g. a residual branch); prefix names it.
    case container(Sequential<S>, prefix: String)
    /// A layer with an inside the probe cannot walk (the model is then no plain chain).
    case opaque
    /// A fused recurrent layer: gradients through time, recurrent spectra, gate statistics.
    case recurrent(cell: RecurrentCell, weightIH: Parameter<S>, weightHH: Parameter<S>)
    /// Nothing to measure.
    case none
}

extension Layer {
    public func callAsFunction(_ x: Var<S>) -> Var<S> { forward(x) }
    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.parameter.value.count } }
    public var parameters: [Parameter<S>] { namedParameters.map(\.parameter) }
    /// Clears every parameter gradient.
    public func zeroGrad() { for (_, p) in namedParameters { p.zeroGrad() } }
    /// Looks a parameter up by its dotted name.
    public func parameter(named name: String) -> Parameter<S>? { namedParameters.first { $0.name == name }?.parameter }
    public var probeRole: ProbeRole<S> { .none }
}

/// An element-wise activation φ as a layer (no parameters).
public final class Activation<S: Scalar>: Layer {
    public let kind: ActivationKind
    public init(_ kind: ActivationKind) { self.kind = kind }
    public func forward(_ x: Var<S>) -> Var<S> { x.activation(kind) }
    public var namedParameters: [(name: String, parameter: Parameter<S>)] { [] }
    public var summary: String { "Activation(\(kind.rawValue))" }
    public var probeRole: ProbeRole<S> { .activation(kind) }
    public func outputShape(for input: [Int]) throws -> [Int] { input }
}

/// Inverted dropout with drop probability `p` (active only when the tape is in training mode).
public final class Dropout<S: Scalar>: Layer {
    public let p: Double
    public init(_ p: Double) throws {
        guard p >= 0 && p < 1 else { throw GradLabError.invalid("dropout probability \(p) must be in [0, 1)") }
        self.p = p
    }
    public func forward(_ x: Var<S>) -> Var<S> { x.dropout(p) }
    public var namedParameters: [(name: String, parameter: Parameter<S>)] { [] }
    public var summary: String { "Dropout(p=\(p))" }
    public func outputShape(for input: [Int]) throws -> [Int] { input }
}
