/// A dense, row-major (C-order), contiguous n-dimensional array.
///
/// Shape convention: `shape[0]` is the outermost axis; the last axis is contiguous, so element
/// (i, j) of a matrix lives at `i * shape[1] + j`. Storage is a Swift array, so tensors are
/// values with copy-on-write. Views (transpose, slice) are materialized: copies are cheap next to
/// the matrix multiplies that dominate training, and every kernel can then assume contiguity.
public struct Tensor<S: Scalar>: Equatable, CustomStringConvertible {
    public private(set) var shape: [Int]
    public var scalars: [S]

    public init(shape: [Int], scalars: [S]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(shape.reduce(1, *) == scalars.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) elements, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }
    public init(shape: [Int], repeating value: S) {
        self.init(shape: shape, scalars: Array(repeating: value, count: shape.reduce(1, *)))
    }
    public init(zeros shape: [Int]) { self.init(shape: shape, repeating: 0) }
    /// Where the storage lives: an identity, to tell whether two tensors share one buffer (never
    /// dereference it).
    public var storageAddress: UnsafeRawPointer? { scalars.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) } }
    public init(_ value: S) { self.init(shape: [], scalars: [value]) }
    /// A matrix from rows (all the same length).
    public init(_ rows: [[S]]) {
        let cols = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == cols }, "ragged rows")
        self.init(shape: [rows.count, cols], scalars: rows.flatMap { $0 })
    }
    /// A vector.
    public init(_ values: [S]) { self.init(shape: [values.count], scalars: values) }

    public var count: Int { scalars.count }
    public var rank: Int { shape.count }
    /// Row-major strides in elements.
    public var strides: [Int] { Tensor.strides(for: shape) }
    public static func strides(for shape: [Int]) -> [Int] {
        var s = Array(repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) { s[i] = acc; acc *= shape[i] }
        return s
    }
    /// The single value of a scalar (or one-element) tensor.
    public var item: S { precondition(count == 1, "item needs one element, have \(shape)"); return scalars[0] }

    public subscript(_ index: Int...) -> S {
        get { scalars[flatIndex(index)] }
        set { scalars[flatIndex(index)] = newValue }
    }
    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == rank, "index \(index) for shape \(shape)")
        var flat = 0
        for (i, d) in index.enumerated() {
            precondition(d >= 0 && d < shape[i], "index \(index) out of range for shape \(shape)")
            flat = flat * shape[i] + d
        }
        return flat
    }

    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let inferred = s.firstIndex(of: -1) {
            s[inferred] = 1
            let known = s.reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            s[inferred] = count / known
        }
        return Tensor(shape: s, scalars: scalars)
    }

    /// Element-wise conversion to another scalar type (e.g. Float → Double for gradient checks).
    public func converted<T: Scalar>(to: T.Type = T.self) -> Tensor<T> {
        Tensor<T>(shape: shape, scalars: scalars.map { T($0) })
    }

    public var description: String {
        let body = count <= 16 ? scalars.map { "\($0)" }.joined(separator: ", ") : "\(count) values"
        return "Tensor\(shape)[\(body)]"
    }

    /// True when no element is NaN or ±Inf.
    public var isFinite: Bool { scalars.allSatisfy { $0.isFinite } }
}
