/// Layers applied in order. Parameter names are `layers.<index>.<name>`.
///
/// The tape's observers see each layer's output `Var` as it is produced
/// (`TrainingObserver.layerOutput`), so probes can hook every layer boundary without changing
/// model code.
public final class Sequential<S: Scalar>: Layer {
    public private(set) var layers: [any Layer<S>]

    public init(_ layers: [any Layer<S>]) { self.layers = layers }

    public func forward(_ x: Var<S>) -> Var<S> {
        var h = x
        for (i, layer) in layers.enumerated() {
            h = layer.forward(h)
            for o in h.tape.observers { o.layerOutput(h, index: i, container: self) }
        }
        return h
    }

    public var namedParameters: [(name: String, parameter: Parameter<S>)] {
        layers.enumerated().flatMap { i, layer in layer.namedParameters.map { ("layers.\(i).\($0.name)", $0.parameter) } }
    }
    public var summary: String { "Sequential(\(layers.count) layers)" }
    public func outputShape(for input: [Int]) throws -> [Int] {
        try layers.reduce(input) { try $1.outputShape(for: $0) }
    }

    /// A table of layers, output shapes and parameter counts for a given input shape.
    public func summaryTable(input: [Int]) throws -> String {
        var rows = [("layer", "type", "output shape", "params")]
        var shape = input
        for (i, l) in layers.enumerated() {
            shape = try l.outputShape(for: shape)
            rows.append(("layers.\(i)", l.summary, "\(shape)", "\(l.parameterCount)"))
        }
        let w = [0, 1, 2, 3].map { c in rows.map { [$0.0, $0.1, $0.2, $0.3][c].count }.max()! }
        func line(_ r: (String, String, String, String)) -> String {
            [r.0, r.1, r.2].enumerated().map { $1.padding(toLength: w[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                + "  " + String(repeating: " ", count: w[3] - r.3.count) + r.3
        }
        var out = rows.map(line)
        out.insert(String(repeating: "─", count: out[0].count), at: 1)
        out.append("total parameters: \(parameterCount)")
        return out.joined(separator: "\n")
    }
}

extension Sequential {
    /// A multilayer perceptron: `depth` hidden Dense layers of `width` units, each followed by
    /// optional normalization and `activation`, then a Dense output layer with `outputs` units (no activation: logits).
    public static func mlp(inputs: Int, width: Int, depth: Int, outputs: Int, activation: ActivationKind,
                           initializer: Initializer, outputInitializer: Initializer? = nil, dropout: Double = 0,
                           normalization: NormalizationKind = .none, rng: inout SeededRandom) -> Sequential {
        var layers: [any Layer<S>] = []
        var fanIn = inputs
        for _ in 0..<depth {
            layers.append(Dense<S>(fanIn, width, initializer: initializer, rng: &rng))
            // Normalization sits between the affine map and φ (Ioffe & Szegedy 2015's placement).
            switch normalization {
            case .none: break
            case .layer: layers.append(try! LayerNorm<S>(width))
            case .batch: layers.append(try! BatchNorm<S>(width))
            }
            layers.append(Activation<S>(activation))
            if dropout > 0 { layers.append(try! Dropout<S>(dropout)) }
            fanIn = width
        }
        layers.append(Dense<S>(fanIn, outputs, initializer: outputInitializer ?? initializer, rng: &rng))
        return Sequential(layers)
    }
}
