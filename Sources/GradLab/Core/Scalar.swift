import RealModule

/// The element types a tensor can hold: `Float` for training, `Double` for gradient checks.
///
/// Each scalar type routes the hot loops (matrix multiply, activations) to its own kernels:
/// `Float` to the fast SIMD kernels in `Kernels/`, `Double` to the readable loops in
/// `Reference/`, which are also the test oracle for the fast path.
public protocol Scalar: BinaryFloatingPoint, Real, SIMDScalar, Sendable, Codable
where Self.RawSignificand: FixedWidthInteger {
    /// C[m×n] = α·op(A)·op(B) + β·C, row-major, `op` = transpose when the flag is set.
    /// `lda`/`ldb`/`ldc` are the row strides of the matrices as stored.
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                     alpha: Self, a: UnsafePointer<Self>, lda: Int,
                     b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// y[m×n] = x[m×k]·Wᵀ + 1·bᵀ with W [n, k] and b [n], row strides ldx, ldw, ldy: a Dense
    /// layer's affine map (the Float GEMM adds b as it stores each tile, saving a pass over y).
    static func affine(m: Int, n: Int, k: Int, x: UnsafePointer<Self>, ldx: Int, w: UnsafePointer<Self>, ldw: Int,
                       bias: UnsafePointer<Self>, y: UnsafeMutablePointer<Self>, ldy: Int)
    /// y[i] = f(x[i]) for an activation; fast vectorized for Float.
    static func activate(_ kind: ActivationKind, _ x: UnsafeBufferPointer<Self>, _ y: UnsafeMutableBufferPointer<Self>)
    /// tanh and the logistic sigmoid of one element, by the formulas `activate` uses, for fused
    /// loops (an LSTM cell) that the compiler vectorizes for Float.
    static func tanhElement(_ x: Self) -> Self
    static func sigmoidElement(_ x: Self) -> Self
    /// Name used in safetensors headers ("F32", "F64").
    static var safetensorsDType: String { get }
}

extension Scalar {
    /// Rows start as copies of b and the GEMM accumulates onto them (β = 1).
    public static func affine(m: Int, n: Int, k: Int, x: UnsafePointer<Self>, ldx: Int, w: UnsafePointer<Self>, ldw: Int,
                              bias: UnsafePointer<Self>, y: UnsafeMutablePointer<Self>, ldy: Int) {
        fillRows(y, m: m, n: n, ldc: ldy, with: bias)
        gemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: x, lda: ldx, b: w, ldb: ldw, beta: 1, c: y, ldc: ldy)
    }
}

/// Copies `row` [n] into each of the m rows of c (row stride ldc).
func fillRows<S>(_ c: UnsafeMutablePointer<S>, m: Int, n: Int, ldc: Int, with row: UnsafePointer<S>) {
    for i in 0..<m { (c + i * ldc).update(from: row, count: n) }
}

extension Double: Scalar {
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            alpha: Double, a: UnsafePointer<Double>, lda: Int,
                            b: UnsafePointer<Double>, ldb: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        referenceGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                      b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
    public static func activate(_ kind: ActivationKind, _ x: UnsafeBufferPointer<Double>, _ y: UnsafeMutableBufferPointer<Double>) {
        for i in 0..<x.count { y[i] = kind.reference(x[i]) }
    }
    public static func tanhElement(_ x: Double) -> Double { ActivationKind.tanh.reference(x) }
    public static func sigmoidElement(_ x: Double) -> Double { ActivationKind.sigmoid.reference(x) }
    public static var safetensorsDType: String { "F64" }
}

extension Float: Scalar {
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        Backend.current.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                              b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
    public static func affine(m: Int, n: Int, k: Int, x: UnsafePointer<Float>, ldx: Int, w: UnsafePointer<Float>, ldw: Int,
                              bias: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, ldy: Int) {
        Backend.current.sgemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: x, lda: ldx, b: w, ldb: ldw,
                              beta: 0, c: y, ldc: ldy, bias: bias)
    }
    public static func activate(_ kind: ActivationKind, _ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>) {
        VectorMath.activate(kind, x, y)
    }
    @inline(__always) public static func tanhElement(_ x: Float) -> Float { VectorMath.tanh(x) }
    @inline(__always) public static func sigmoidElement(_ x: Float) -> Float { VectorMath.sigmoid(x) }
    public static var safetensorsDType: String { "F32" }
}
