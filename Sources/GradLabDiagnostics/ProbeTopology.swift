import GradLab

/// What a probe measures in a model, found by walking its layers' declared `ProbeRole`s (no list
/// of layer types): every linear map in forward order through containers, each with the activation
/// that follows it past any normalization, and every recurrent layer.
///
/// "Layer" l in records and verdicts is the l-th linear map from the input (1-based), named by its
/// dotted prefix (`layers.4`, `layers.2.branch.layers.3`).
struct ProbeTopology {
    /// A layer boundary: position `index` in a container (the model or a residual branch).
    struct Boundary: Hashable {
        let container: ObjectIdentifier
        let index: Int
    }

    struct Block {
        let layer: Int
        let name: String
        let weight: Parameter<Float>
        let bias: Parameter<Float>?
        let activation: ActivationKind?
        let linearBoundary: Boundary
        let activationBoundary: Boundary?
        /// The activation's input when a normalization layer sits between it and the linear map:
        /// saturation is a property of what φ receives, not of the linear output.
        let normalizedBoundary: Boundary?
    }

    struct RecurrentLayer {
        let index: Int
        let name: String
        let cell: RecurrentCell
        let weightIH: Parameter<Float>
        let weightHH: Parameter<Float>
        /// The layer object, as the fused recurrence names it in its events.
        let id: ObjectIdentifier
        var hiddenSize: Int { weightHH.value.shape[1] }
    }

    private(set) var blocks: [Block] = []
    private(set) var recurrent: [RecurrentLayer] = []
    /// True when the model is one plain chain of linear maps and activations (what Jacobian
    /// spectra need).
    private(set) var plain = true
    private(set) var blockOfLinear: [Boundary: Int] = [:], blockOfActivation: [Boundary: Int] = [:], blockOfNormalized: [Boundary: Int] = [:]

    init(_ model: Sequential<Float>) {
        walk(model, "", top: true)
        for (b, block) in blocks.enumerated() {
            blockOfLinear[block.linearBoundary] = b
            if let a = block.activationBoundary { blockOfActivation[a] = b }
            if let n = block.normalizedBoundary { blockOfNormalized[n] = b }
        }
    }

    private mutating func walk(_ seq: Sequential<Float>, _ prefix: String, top: Bool) {
        let id = ObjectIdentifier(seq), layers = seq.layers
        for (i, layer) in layers.enumerated() {
            switch layer.probeRole {
            case let .linear(weight, bias):
                var j = i + 1
                while j < layers.count, case .normalization = layers[j].probeRole { j += 1; plain = false }
                var act: ActivationKind? = nil
                if j < layers.count, case .activation(let kind) = layers[j].probeRole { act = kind }
                blocks.append(Block(layer: blocks.count + 1, name: prefix + "layers.\(i)", weight: weight, bias: bias, activation: act,
                                    linearBoundary: Boundary(container: id, index: i),
                                    activationBoundary: act == nil ? nil : Boundary(container: id, index: j),
                                    normalizedBoundary: j - 1 > i ? Boundary(container: id, index: j - 1) : nil))
            case let .container(inner, innerPrefix):
                plain = false
                walk(inner, prefix + "layers.\(i).\(innerPrefix)", top: false)
            case .opaque:
                plain = false
            case let .recurrent(cell, weightIH, weightHH) where top:
                recurrent.append(RecurrentLayer(index: i, name: prefix + "layers.\(i)", cell: cell, weightIH: weightIH, weightHH: weightHH,
                                                id: ObjectIdentifier(layer)))
            default: break
            }
        }
    }
}
