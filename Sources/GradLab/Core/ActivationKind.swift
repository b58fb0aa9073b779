import RealModule

/// The element-wise nonlinearities φ the engine knows, with φ and φ' written out once, readably.
/// These scalar formulas are the reference; `VectorMath` holds the fast Float kernels.
public enum ActivationKind: String, CaseIterable, Sendable, Codable {
    case identity, sigmoid, tanh, relu, leakyRelu, elu, selu, gelu, softsign, softplus, hardTanh

    /// Negative slope of leaky ReLU (PyTorch's default).
    public static let leakySlope = 0.01
    /// SELU constants (Klambauer et al. 2017).
    public static let seluAlpha = 1.6732632423543772848170429916717
    public static let seluLambda = 1.0507009873554804934193349852946

    /// φ(x), computed in the scalar's own precision.
    @inlinable public func reference<S: Scalar>(_ x: S) -> S {
        switch self {
        case .identity: return x
        case .sigmoid: return x >= 0 ? 1 / (1 + S.exp(-x)) : S.exp(x) / (1 + S.exp(x))
        case .tanh: return S.tanh(x)
        case .relu: return x > 0 ? x : 0
        case .leakyRelu: return x > 0 ? x : S(Self.leakySlope) * x
        case .elu: return x > 0 ? x : S.expMinusOne(x)
        case .selu: return S(Self.seluLambda) * (x > 0 ? x : S(Self.seluAlpha) * S.expMinusOne(x))
        // Exact GELU: x·Φ(x) (Hendrycks & Gimpel 2016), Φ the standard normal CDF.
        case .gelu: return x * (1 + S.erf(x / S(2).squareRoot())) / 2
        case .softsign: return x / (1 + abs(x))
        case .softplus: return x > 20 ? x : S.log(onePlus: S.exp(x))
        case .hardTanh: return min(max(x, -1), 1)
        }
    }

    /// φ'(x) given the input x and the output y = φ(x) (several derivatives are cheapest from y).
    @inlinable public func derivative<S: Scalar>(x: S, y: S) -> S {
        switch self {
        case .identity: return 1
        case .sigmoid: return y * (1 - y)
        case .tanh: return 1 - y * y
        case .relu: return x > 0 ? 1 : 0
        case .leakyRelu: return x > 0 ? 1 : S(Self.leakySlope)
        case .elu: return x > 0 ? 1 : y + 1
        case .selu: return x > 0 ? S(Self.seluLambda) : y + S(Self.seluLambda * Self.seluAlpha)
        case .gelu:
            let cdf = (1 + S.erf(x / S(2).squareRoot())) / 2
            let pdf = S.exp(-x * x / 2) / S(2 * Double.pi).squareRoot()
            return cdf + x * pdf
        case .softsign: let d = 1 + abs(x); return 1 / (d * d)
        case .softplus: return x >= 0 ? 1 / (1 + S.exp(-x)) : S.exp(x) / (1 + S.exp(x))
        case .hardTanh: return (x > -1 && x < 1) ? 1 : 0
        }
    }

    /// True for the ReLU family, whose units can die (output exactly zero for every input).
    public var canDie: Bool { self == .relu }
    /// True for bounded activations that saturate (derivative → 0 for large |x|).
    public var saturates: Bool { [.sigmoid, .tanh, .hardTanh, .softsign].contains(self) }
}
