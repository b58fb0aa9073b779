/// How the recurrent weights W_hh start. Input weights W_ih start as PyTorch's U(±1/√H) unless
/// `inputStd` is given; biases are zero except under `.torchDefault`.
public enum RecurrentInit: Equatable, Sendable {
    /// PyTorch's default: every weight and bias U(−1/√H, 1/√H).
    case torchDefault
    /// W_hh = radius·I in every gate block (IRNN: ReLU RNN with identity recurrence, Le, Jaitly
    /// & Hinton 2015, radius 1).
    case identity(radius: Double)
    /// Each H×H gate block a Haar-random orthogonal matrix × radius, so every |λ| = radius
    /// (Saxe et al. 2014; Henaff et al. 2016).
    case orthogonal(radius: Double)
    /// Each gate block N(0, 1/H), then rescaled so its spectral radius is exactly `radius`.
    case gaussianRadius(Double)
    /// Each weight N(0, std²) (e.g. Pascanu et al. 2013's std 0.1; Le et al.'s 1/√N).
    case gaussian(std: Double)
}

/// A recurrent layer (vanilla RNN, LSTM or GRU) over a whole sequence.
///
/// Shapes: input [batch, time, features], output [batch, time, hidden] (every step's h_t; follow
/// with `LastStep` for a prediction from h_T). Parameters, in PyTorch's layout and gate order so
/// fixtures and checkpoints interchange: `weight_ih` [G·H, I], `weight_hh` [G·H, H], `bias_ih`,
/// `bias_hh` [G·H], with G = 1 (RNN), 4 (LSTM: i, f, g, o) or 3 (GRU: r, z, n).
/// `truncation` k runs truncated BPTT (state detached every k steps).
public final class Recurrent<S: Scalar>: Layer {
    public let cell: RecurrentCell
    public let weightIH, weightHH, biasIH, biasHH: Parameter<S>
    public var truncation: Int?
    public var inputSize: Int { weightIH.value.shape[1] }
    public var hiddenSize: Int { weightHH.value.shape[1] }

    /// `forgetBias` (LSTM only) sets the forget-gate bias b_ih[f] (b_hh[f] = 0): +1 keeps the
    /// cell's memory open at the start (Gers et al. 2000; Jozefowicz et al. 2015).
    public init(_ cell: RecurrentCell, inputSize: Int, hiddenSize: Int, recurrentInit: RecurrentInit = .torchDefault,
                inputStd: Double? = nil, forgetBias: Double? = nil, truncation: Int? = nil, rng: inout SeededRandom) {
        precondition(inputSize > 0 && hiddenSize > 0, "recurrent sizes must be positive, got \(inputSize) → \(hiddenSize)")
        self.cell = cell; self.truncation = truncation
        let (H, G) = (hiddenSize, cell.gates * hiddenSize), a = 1 / Double(H).squareRoot()
        let wih: Tensor<S> = inputStd.map { .normal([G, inputSize], std: $0, rng: &rng) } ?? .uniform([G, inputSize], low: -a, high: a, rng: &rng)
        var whh = [Double](), bias = recurrentInit == .torchDefault
        for _ in 0..<cell.gates { whh += Recurrent.block(recurrentInit, H, rng: &rng) }
        var bih: Tensor<S> = bias ? .uniform([G], low: -a, high: a, rng: &rng) : Tensor(zeros: [G])
        var bhh: Tensor<S> = bias ? .uniform([G], low: -a, high: a, rng: &rng) : Tensor(zeros: [G])
        if let forgetBias, cell == .lstm {
            for j in H..<(2 * H) { bih.scalars[j] = S(forgetBias); bhh.scalars[j] = 0 }
        }
        weightIH = Parameter(wih); weightHH = Parameter(Tensor(shape: [G, H], scalars: whh.map { S($0) }))
        biasIH = Parameter(bih); biasHH = Parameter(bhh)
    }

    /// One H×H recurrent block, row-major.
    static func block(_ scheme: RecurrentInit, _ n: Int, rng: inout SeededRandom) -> [Double] {
        switch scheme {
        case .torchDefault:
            let a = 1 / Double(n).squareRoot()
            return (0..<(n * n)).map { _ in rng.uniform(-a, a) }
        case .identity(let r):
            return (0..<(n * n)).map { $0 / n == $0 % n ? r : 0 }
        case .orthogonal(let r):
            return Initializer.orthogonal(rows: n, cols: n, rng: &rng).map { $0 * r }
        case .gaussianRadius(let r):
            let w = (0..<(n * n)).map { _ in rng.normal() / Double(n).squareRoot() }
            let rho = Spectral.spectralRadius(w, n: n)
            return w.map { $0 * r / rho }
        case .gaussian(let std):
            let s = std > 0 ? std : 1 / Double(n).squareRoot()
            return (0..<(n * n)).map { _ in rng.normal() * s }
        }
    }

    public func forward(_ x: Var<S>) -> Var<S> {
        let t = x.tape
        return x.recurrence(cell, weightIH: t.parameter(weightIH), weightHH: t.parameter(weightHH),
                            biasIH: t.parameter(biasIH), biasHH: t.parameter(biasHH), truncation: truncation, layer: ObjectIdentifier(self))
    }

    public var namedParameters: [(name: String, parameter: Parameter<S>)] {
        [("weight_ih", weightIH), ("weight_hh", weightHH), ("bias_ih", biasIH), ("bias_hh", biasHH)]
    }
    public var probeRole: ProbeRole<S> { .recurrent(cell: cell, weightIH: weightIH, weightHH: weightHH) }
    public var summary: String {
        let name = [RecurrentCell.rnnTanh: "RNN(tanh", .rnnRelu: "RNN(relu", .lstm: "LSTM(", .gru: "GRU("][cell]!
        return "\(name)\(cell.gates == 1 ? ", " : "")\(inputSize) → \(hiddenSize)\(truncation.map { ", tbptt \($0)" } ?? ""))"
    }
    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count == 3, input[2] == inputSize else {
            throw GradLabError.invalid("\(summary) got input of shape \(input); expected [batch, time, \(inputSize)]")
        }
        return [input[0], input[1], hiddenSize]
    }

    /// The recurrent block that carries the state (RNN: W_hh; LSTM: the g block; GRU: the n
    /// block) as a row-major H×H matrix in Double, for spectral measurements.
    public var stateBlock: [Double] { cell.stateBlock(weightHH.value) }
}

extension Sequential {
    /// A recurrent model for flat sequence rows [B, steps·features]: a Reshape to [B, T, F],
    /// `layers` stacked recurrent layers of `hidden` units, then a Dense read-out of h_T
    /// (`everyStep` false: [B, outputs]) or of every h_t (true: [B·T, outputs]).
    public static func recurrent(_ cell: RecurrentCell, features: Int, steps: Int, hidden: Int, layers: Int = 1,
                                 outputs: Int, everyStep: Bool = false, recurrentInit: RecurrentInit = .torchDefault,
                                 inputStd: Double? = nil, forgetBias: Double? = nil, truncation: Int? = nil,
                                 rng: inout SeededRandom) -> Sequential {
        var stack: [any Layer<S>] = [Reshape<S>([-1, steps, features])]
        for l in 0..<layers {
            stack.append(Recurrent<S>(cell, inputSize: l == 0 ? features : hidden, hiddenSize: hidden, recurrentInit: recurrentInit,
                                      inputStd: inputStd, forgetBias: forgetBias, truncation: truncation, rng: &rng))
        }
        stack.append(everyStep ? Reshape<S>([-1, hidden]) : LastStep<S>())
        stack.append(Dense<S>(hidden, outputs, initializer: .torchDefault, rng: &rng))
        return Sequential(stack)
    }
}
