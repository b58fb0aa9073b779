/// Fully connected layer y = x·Wᵀ + b.
///
/// Shapes: x [batch, in], W [out, in] (PyTorch's layout, so checkpoints interchange), b [out].
/// Parameters are named `weight` and `bias`.
public final class Dense<S: Scalar>: Layer {
    public let weight: Parameter<S>
    public let bias: Parameter<S>?
    public var inputSize: Int { weight.value.shape[1] }
    public var outputSize: Int { weight.value.shape[0] }

    /// A layer initialized by `initializer` (weights and bias) from `rng`.
    public init(_ inputSize: Int, _ outputSize: Int, bias: Bool = true,
                initializer: Initializer = .torchDefault, rng: inout SeededRandom) {
        precondition(inputSize > 0 && outputSize > 0, "Dense sizes must be positive, got \(inputSize) → \(outputSize)")
        let (w, b) = initializer.make(weightShape: [outputSize, inputSize], rng: &rng) as (Tensor<S>, Tensor<S>)
        self.weight = Parameter(w)
        self.bias = bias ? Parameter(b) : nil
    }

    public func forward(_ x: Var<S>) -> Var<S> {
        let t = x.tape
        return x.linear(weight: t.parameter(weight), bias: bias.map { t.parameter($0) })
    }

    public var namedParameters: [(name: String, parameter: Parameter<S>)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }
    public var summary: String { "Dense(\(inputSize) → \(outputSize)\(bias == nil ? ", no bias" : ""))" }
    public var probeRole: ProbeRole<S> { .linear(weight: weight, bias: bias) }
    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count == 2, input[1] == inputSize else {
            throw GradLabError.invalid("Dense(\(inputSize) → \(outputSize)) got input of shape \(input); expected [batch, \(inputSize)]")
        }
        return [input[0], outputSize]
    }
}
