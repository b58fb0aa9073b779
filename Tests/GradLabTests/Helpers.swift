import XCTest
import GradLab

/// Central-difference gradient check in Double. The scalar checked is L = Σ f(x) ⊙ R with a fixed
/// random R, so every output element's gradient path is exercised with a distinct weight.
func assertGradients(_ inputs: [Tensor<Double>], eps: Double = 1e-6, tolerance: Double = 1e-6,
                     file: StaticString = #filePath, line: UInt = #line,
                     _ f: @escaping ([Var<Double>]) -> Var<Double>) {
    func loss(_ xs: [Tensor<Double>], tape: Tape<Double>) -> (Var<Double>, [Var<Double>]) {
        let vars = xs.map { tape.variable($0) }
        let out = f(vars)
        var r = SeededRandom(seed: 99)
        let weights = Tensor<Double>.normal(out.shape, rng: &r)
        return ((out * tape.constant(weights)).sum(), vars)
    }
    let tape = Tape<Double>(rng: SeededRandom(seed: 7))
    let (l, vars) = loss(inputs, tape: tape)
    let grads = tape.backward(from: l)
    for (k, x) in inputs.enumerated() {
        let analytic = grads[vars[k]] ?? Tensor(zeros: x.shape)
        XCTAssertEqual(analytic.shape, x.shape, "gradient shape of input \(k)", file: file, line: line)
        for i in 0..<x.count {
            var plus = inputs, minus = inputs
            plus[k].scalars[i] += eps
            minus[k].scalars[i] -= eps
            let lp = loss(plus, tape: Tape<Double>(rng: SeededRandom(seed: 7))).0.value.item
            let lm = loss(minus, tape: Tape<Double>(rng: SeededRandom(seed: 7))).0.value.item
            let numeric = (lp - lm) / (2 * eps)
            let a = analytic.scalars[i]
            let err = abs(a - numeric) / max(1, abs(a) + abs(numeric))
            XCTAssertLessThan(err, tolerance, "input \(k) element \(i): analytic \(a) vs numeric \(numeric)", file: file, line: line)
        }
    }
}

func randomTensor(_ shape: [Int], seed: UInt64, low: Double = -2, high: Double = 2) -> Tensor<Double> {
    var r = SeededRandom(seed: seed)
    return .uniform(shape, low: low, high: high, rng: &r)
}

func assertClose<S: Scalar>(_ a: Tensor<S>, _ b: Tensor<S>, tolerance: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, file: file, line: line)
    for (x, y) in zip(a.scalars, b.scalars) {
        let err = abs(Double(x) - Double(y)) / max(1, abs(Double(y)))
        if err > tolerance { XCTFail("\(x) vs \(y): error \(err) > \(tolerance)", file: file, line: line); return }
    }
}

func tempPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-tests-\(ProcessInfo.processInfo.processIdentifier)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

/// A test's window on a forward/backward pass (set as `Tape.observers`): layer outputs,
/// activation statistics on request, and the fused recurrence's events.
final class RecordingObserver<S: Scalar>: TrainingObserver {
    var onLayerOutput: ((Int, Var<S>, Sequential<S>) -> Void)?
    /// When set, activation ops measure with this threshold and report here.
    var threshold: Double?
    var measured: ActivationGradientStatistics?
    var timeNorms: [Double] = []
    var finalCell: [Double] = []

    func layerOutput(_ output: Var<S>, index: Int, container: Sequential<S>) { onLayerOutput?(index, output, container) }
    func saturationThreshold(_ kind: ActivationKind) -> Double? { threshold }
    func wantsRecurrenceEvents(layer: ObjectIdentifier) -> Bool { true }
    func activationStatistics(input: Int, _ statistics: ActivationGradientStatistics, gradient: UnsafeRawPointer?) { measured = statistics }
    func recurrence(_ event: RecurrenceEvent, layer: ObjectIdentifier) {
        switch event {
        case .timeGradients(let n): timeNorms = n
        case .finalCellState(let c): finalCell = c
        case .forward: break
        }
    }
}

/// The `gradlab` executable, built beside the test bundle.
let gradlabBinary: URL = {
    var dir = Bundle.module.bundleURL
    while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("gradlab").path), dir.path != "/" { dir.deleteLastPathComponent() }
    return dir.appendingPathComponent("gradlab")
}()

/// Runs `gradlab` with `args` and waits: its exit status, standard output and standard error.
func runGradlab(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
    let p = Process(), out = Pipe(), err = Pipe()
    p.executableURL = gradlabBinary; p.arguments = args
    p.standardOutput = out; p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}
