/// A layer with state that is saved but not trained, e.g. BatchNorm's running statistics.
///
/// Buffers are named like parameters, relative to the layer (`running_mean`); containers prefix
/// them with their path (`layers.2.running_mean`, PyTorch's state-dict names), so a checkpoint
/// can store them beside the parameters. Optimizers never see them.
public protocol StatefulLayer<S>: Layer {
    /// Buffers in a fixed order, with names relative to this layer.
    var namedBuffers: [(name: String, tensor: Tensor<S>)] { get }
    /// Replaces the buffer `name`; throws on an unknown name or a shape mismatch.
    func loadBuffer(name: String, _ tensor: Tensor<S>) throws
}

extension Layer {
    /// Buffers of this layer and of every layer inside it (empty for stateless layers).
    public var buffers: [(name: String, tensor: Tensor<S>)] {
        (self as? any StatefulLayer<S>)?.namedBuffers ?? []
    }

    /// Loads every buffer of this layer from `tensors` (keyed by full name, e.g. a checkpoint's
    /// contents); throws when one is missing or has the wrong shape.
    public func loadBuffers(from tensors: [String: Tensor<S>]) throws {
        guard let stateful = self as? any StatefulLayer<S> else { return }
        for (name, _) in stateful.namedBuffers {
            guard let t = tensors[name] else {
                throw GradLabError.invalid("buffer '\(name)' is missing; load a checkpoint saved from the same architecture")
            }
            try stateful.loadBuffer(name: name, t)
        }
    }
}

/// Routes `name` (`<prefix><rest>`) to the child layer that owns it.
func loadChildBuffer<S: Scalar>(_ child: any Layer<S>, name: String, prefix: String, _ tensor: Tensor<S>) throws -> Bool {
    guard name.hasPrefix(prefix), let stateful = child as? any StatefulLayer<S> else { return false }
    let rest = String(name.dropFirst(prefix.count))
    guard stateful.namedBuffers.contains(where: { $0.name == rest }) else { return false }
    try stateful.loadBuffer(name: rest, tensor)
    return true
}

extension Sequential: StatefulLayer {
    public var namedBuffers: [(name: String, tensor: Tensor<S>)] {
        layers.enumerated().flatMap { i, layer in layer.buffers.map { ("layers.\(i).\($0.name)", $0.tensor) } }
    }
    public func loadBuffer(name: String, _ tensor: Tensor<S>) throws {
        for (i, layer) in layers.enumerated() {
            if try loadChildBuffer(layer, name: name, prefix: "layers.\(i).", tensor) { return }
        }
        throw GradLabError.invalid("no buffer named '\(name)' in this model; buffers: \(namedBuffers.map(\.name).joined(separator: ", "))")
    }
}
