/// Reshapes each batch to a fixed shape: `Reshape([-1, T, F])` turns flat sequence rows
/// [B, T·F] into [B, T, F]; `Reshape([-1, H])` folds time into the batch, [B, T, H] → [B·T, H],
/// so one Dense layer reads out every step. One −1 stands for the axis inferred from the count.
public final class Reshape<S: Scalar>: Layer {
    public let shape: [Int]
    public init(_ shape: [Int]) { self.shape = shape }
    public func forward(_ x: Var<S>) -> Var<S> { x.reshaped(shape) }
    public var namedParameters: [(name: String, parameter: Parameter<S>)] { [] }
    public var summary: String { "Reshape(\(shape.map { $0 < 0 ? "·" : "\($0)" }.joined(separator: "×")))" }
    public func outputShape(for input: [Int]) throws -> [Int] {
        let count = input.reduce(1, *), known = shape.filter { $0 > 0 }.reduce(1, *)
        guard count % known == 0 else { throw GradLabError.invalid("Reshape\(shape) cannot take input of shape \(input)") }
        return shape.map { $0 < 0 ? count / known : $0 }
    }
}

/// The last time step of a sequence: [B, T, H] → [B, H] (a prediction read from h_T).
public final class LastStep<S: Scalar>: Layer {
    public init() {}
    public func forward(_ x: Var<S>) -> Var<S> {
        let (b, t, h) = (x.shape[0], x.shape[1], x.shape[2])
        return x.slice(axis: 1, (t - 1)..<t).reshaped([b, h])
    }
    public var namedParameters: [(name: String, parameter: Parameter<S>)] { [] }
    public var summary: String { "LastStep" }
    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count == 3 else { throw GradLabError.invalid("LastStep takes [batch, time, features], got \(input)") }
        return [input[0], input[2]]
    }
}
