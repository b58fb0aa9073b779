/// Weight and bias initialization schemes. Weight shape convention: [fan_out, fan_in, …] with
/// fan_in = product of all axes but the first (a Dense weight is [out, in]).
public enum Initializer: Equatable, Sendable, CustomStringConvertible {
    /// Mean-field parameterisation (Poole et al. 2016; Schoenholz et al. 2017):
    /// W ~ N(0, σ_w²/fan_in), b ~ N(0, σ_b²).
    case normal(sigmaW2: Double, sigmaB2: Double)
    /// Same variances from uniform draws: W ~ U(±√(3σ_w²/fan_in)), b ~ U(±√(3σ_b²)).
    case uniform(sigmaW2: Double, sigmaB2: Double)
    /// Glorot/Xavier uniform (Glorot & Bengio 2010): W ~ U(±gain·√(6/(fan_in+fan_out))), b = 0.
    case glorotUniform(gain: Double)
    /// Glorot/Xavier normal: W ~ N(0, gain²·2/(fan_in+fan_out)), b = 0.
    case glorotNormal(gain: Double)
    /// He/Kaiming uniform (He et al. 2015), fan-in mode: W ~ U(±gain·√(3/fan_in)), gain √2 for ReLU; b = 0.
    case heUniform(gain: Double)
    /// He/Kaiming normal, fan-in mode: W ~ N(0, gain²/fan_in), gain √2 for ReLU; b = 0.
    case heNormal(gain: Double)
    /// LeCun normal (LeCun et al. 1998; used with SELU): W ~ N(0, 1/fan_in), b = 0.
    case lecunNormal
    /// PyTorch's nn.Linear default: W and b ~ U(±1/√fan_in).
    case torchDefault
    /// Orthogonal (Saxe et al. 2014): W = gain·Q with Q Haar-distributed, orthonormal rows or
    /// columns (whichever is fewer) for rectangular shapes; b ~ N(0, σ_b²) (Pennington et al. 2017),
    /// so gain² plays σ_w² in the mean-field maps; b = 0 when σ_b² = 0.
    case orthogonal(gain: Double, sigmaB2: Double = 0)
    /// W = gain·I (rectangular: ones on the main diagonal); b = 0.
    case identity(gain: Double)
    /// Every weight and bias set to `value` (0 for zeros).
    case constant(Double)

    public static let heNormalReLU = Initializer.heNormal(gain: 2.0.squareRoot())
    public static let glorot = Initializer.glorotUniform(gain: 1)
    public static let zeros = Initializer.constant(0)

    public var description: String {
        switch self {
        case let .normal(w, b): return "normal(σ_w²=\(w), σ_b²=\(b))"
        case let .uniform(w, b): return "uniform(σ_w²=\(w), σ_b²=\(b))"
        case let .glorotUniform(g): return "glorot-uniform(gain=\(g))"
        case let .glorotNormal(g): return "glorot-normal(gain=\(g))"
        case let .heUniform(g): return "he-uniform(gain=\(g))"
        case let .heNormal(g): return "he-normal(gain=\(g))"
        case .lecunNormal: return "lecun-normal"
        case .torchDefault: return "torch-default"
        case let .orthogonal(g, b): return "orthogonal(gain=\(g)\(b > 0 ? ", σ_b²=\(b)" : ""))"
        case let .identity(g): return "identity(gain=\(g))"
        case let .constant(v): return "constant(\(v))"
        }
    }

    /// Draws a weight of `weightShape` and a bias of [fan_out].
    public func make<S: Scalar>(weightShape: [Int], rng: inout SeededRandom) -> (Tensor<S>, Tensor<S>) {
        let fanOut = weightShape[0], fanIn = weightShape.dropFirst().reduce(1, *)
        let zeroBias = Tensor<S>(zeros: [fanOut])
        switch self {
        case let .normal(w, b):
            return (.normal(weightShape, std: (w / Double(fanIn)).squareRoot(), rng: &rng), .normal([fanOut], std: b.squareRoot(), rng: &rng))
        case let .uniform(w, b):
            let a = (3 * w / Double(fanIn)).squareRoot(), ab = (3 * b).squareRoot()
            return (.uniform(weightShape, low: -a, high: a, rng: &rng), .uniform([fanOut], low: -ab, high: ab, rng: &rng))
        case let .glorotUniform(g):
            let a = g * (6 / Double(fanIn + fanOut)).squareRoot()
            return (.uniform(weightShape, low: -a, high: a, rng: &rng), zeroBias)
        case let .glorotNormal(g):
            return (.normal(weightShape, std: g * (2 / Double(fanIn + fanOut)).squareRoot(), rng: &rng), zeroBias)
        case let .heUniform(g):
            let a = g * (3 / Double(fanIn)).squareRoot()
            return (.uniform(weightShape, low: -a, high: a, rng: &rng), zeroBias)
        case let .heNormal(g):
            return (.normal(weightShape, std: g / Double(fanIn).squareRoot(), rng: &rng), zeroBias)
        case .lecunNormal:
            return (.normal(weightShape, std: 1 / Double(fanIn).squareRoot(), rng: &rng), zeroBias)
        case .torchDefault:
            let a = 1 / Double(fanIn).squareRoot()
            return (.uniform(weightShape, low: -a, high: a, rng: &rng), .uniform([fanOut], low: -a, high: a, rng: &rng))
        case let .orthogonal(g, b):
            let w = Tensor<S>(shape: weightShape, scalars: Initializer.orthogonal(rows: fanOut, cols: fanIn, rng: &rng).map { S(g * $0) })
            return (w, b > 0 ? .normal([fanOut], std: b.squareRoot(), rng: &rng) : zeroBias)
        case let .identity(g):
            var w = Tensor<S>(zeros: [fanOut, fanIn])
            for i in 0..<Swift.min(fanOut, fanIn) { w[i, i] = S(g) }
            return (w.reshaped(weightShape), zeroBias)
        case let .constant(v):
            return (Tensor(shape: weightShape, repeating: S(v)), Tensor(shape: [fanOut], repeating: S(v)))
        }
    }

    /// A Haar-random matrix [rows, cols] with orthonormal rows (rows ≤ cols) or columns (rows > cols):
    /// QR of a Gaussian matrix by twice-repeated modified Gram–Schmidt in Double, Gram–Schmidt yields
    /// R with a positive diagonal, which is what makes Q Haar-distributed (Mezzadri 2007).
    static func orthogonal(rows: Int, cols: Int, rng: inout SeededRandom) -> [Double] {
        let (n, k) = (Swift.max(rows, cols), Swift.min(rows, cols))   // Q is n×k, columns orthonormal
        var q = (0..<(n * k)).map { _ in rng.normal() }                // column-major: q[j*n + i]
        for j in 0..<k {
            for _ in 0..<2 {
                for p in 0..<j {
                    var dot = 0.0
                    for i in 0..<n { dot += q[p * n + i] * q[j * n + i] }
                    for i in 0..<n { q[j * n + i] -= dot * q[p * n + i] }
                }
                var nrm = 0.0
                for i in 0..<n { nrm += q[j * n + i] * q[j * n + i] }
                nrm = nrm.squareRoot()
                for i in 0..<n { q[j * n + i] /= nrm }
            }
        }
        var out = [Double](repeating: 0, count: rows * cols)
        for r in 0..<rows { for c in 0..<cols { out[r * cols + c] = rows >= cols ? q[c * n + r] : q[r * n + c] } }
        return out
    }
}
