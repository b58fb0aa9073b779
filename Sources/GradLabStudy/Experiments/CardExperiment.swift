import Foundation
import GradLab
import GradLabDiagnostics
import GradLabKit

/// What a card's experiment measured and whether its claim holds.
public struct ExperimentOutcome: Codable, Equatable, Sendable {
    /// One comparison of the claim, with both sides' measured values.
    public struct Check: Codable, Equatable, Sendable {
        public var text: String
        public var left: Double
        public var op: String
        public var right: Double
        public var holds: Bool
        /// `✓ grad_norm(bad, layer 1) < 1e-3 × grad_norm(bad, layer 20)   (3.1e-07 < 2.4e-05)`
        public var line: String {
            "\(holds ? "✓" : "✗") \(text)   (\(Self.number(left)) \(op) \(Self.number(right)))"
        }
        static func number(_ x: Double) -> String {
            guard x.isFinite else { return x.isNaN ? "NaN" : (x > 0 ? "Inf" : "-Inf") }
            return x != 0 && (abs(x) < 1e-3 || abs(x) >= 1e5) ? String(format: "%.3g", x) : String(format: "%.4g", x)
        }
    }

    public var experiment: String
    public var runs: [RunMeasurement]
    public var checks: [Check]
    /// True when read from the cache rather than run.
    public var cached: Bool
    /// Whether every comparison of the claim holds (true when the card has no claim).
    public var holds: Bool { checks.allSatisfy(\.holds) }

    /// The measured numbers: one line per run (loss, accuracy, verdicts, time taken).
    public var summary: String {
        runs.map { r in
            var parts = [String(format: "initial loss %.3f", r.initialLoss)]
            if let f = r.finalLoss { parts.append(String(format: "final loss %.3f after %d steps", f, r.steps)) }
            if let a = r.testAccuracy { parts.append(String(format: "test accuracy %.1f%%", 100 * a)) }
            if let c = r.chi1 { parts.append(String(format: "χ₁ %.3g", c)) }
            if let t = r.timeRatio { parts.append("‖∂L/∂h₁‖/‖∂L/∂h_T‖ \(Check.number(t))") }
            parts.append(r.verdicts.isEmpty ? "no verdict" : "verdicts: " + r.verdicts.joined(separator: ", "))
            parts.append(String(format: "%.2f s", r.seconds))
            return (r.name.isEmpty ? "run" : r.name) + ": " + parts.joined(separator: "; ")
        }.joined(separator: "\n")
    }

    /// What the chart shows per layer: the back-propagated ‖δ‖ when the claim is about δ and not
    /// about weight gradients (the two can disagree; see `Quantity.deltaNorm`), else ‖∂L/∂W‖.
    public var chartsDelta: Bool {
        let names = checks.map(\.text).joined(separator: " ")
        return names.contains("delta_norm") && !names.contains("grad_norm")
    }

    /// The gradient through the layers at step 0 on a log scale, one column per run (input layer
    /// at the top); recurrent runs add ‖∂L/∂h_t‖ through time as a shaded strip (t = 1 on the left).
    public var chart: String {
        let what = chartsDelta ? "‖δ‖" : "‖∂L/∂W‖"
        let titles = runs.map { $0.name.isEmpty ? "\(what) at step 0" : "\($0.name): \(what) at step 0" }
        let delta = chartsDelta
        var out = DemoRun.sideBySide(runs.map { $0.layers.map { delta ? $0.deltaNorm : $0.gradNorm } }, titles: titles)
        let timed = runs.filter { $0.gradNormByTime != nil }
        if !timed.isEmpty {
            out += "\n\n‖∂L/∂h_t‖ through time at step 0:\n"
                + GradientChart.renderTime(names: timed.map { $0.name.isEmpty ? "run" : $0.name }, rows: timed.map { $0.gradNormByTime ?? [] }, width: 50)
        }
        return out
    }

    /// Summary, chart and the claim's checks, as the terminal shows them after a card's answer.
    public var text: String {
        ([summary, "", chart] + (checks.isEmpty ? [] : [""] + checks.map(\.line))).joined(separator: "\n")
    }
}

/// Runs a card's experiment and checks its claim: the `experiment:` and `claim:` languages are
/// defined by `ExperimentSpec` and `Claim`, the quantities by `Quantity`.
public enum CardExperiment {
    /// Load-time validation: parses both lines and checks every quantity, run name, layer number
    /// and verdict kind against the experiment. Throws a `DeckError` with file "" and line 0 and
    /// the 1-based column inside the failing text; `problem` names the text (`experiment:` or `claim:`).
    public static func check(experiment: String, claim: String?) throws {
        let spec = try ExperimentSpec.parse(experiment)
        if let claim { _ = try bind(Claim.parse(claim), to: spec) }
    }

    /// A claim whose names all resolve against `spec`.
    static func bind(_ claim: Claim, to spec: ExperimentSpec) throws -> Claim {
        let runNames = spec.runs.map(\.name).filter { !$0.isEmpty }
        for comparison in claim.comparisons {
            for q in comparison.left.quantities + comparison.right.quantities {
                _ = try resolve(q, in: spec, runNames: runNames)
            }
        }
        return claim
    }

    struct Resolved { var quantity: Quantity; var run: ExperimentSpec.Run; var layer: Int?; var verdict: String? }

    static func resolve(_ q: (name: String, arguments: [ClaimArgument], column: Int, argumentColumns: [Int]),
                        in spec: ExperimentSpec, runNames: [String]) throws -> Resolved {
        func fail(_ column: Int, _ problem: String, _ fix: String) -> DeckError {
            DeckError(file: "", line: 0, column: column, problem: problem, fix: fix)
        }
        guard let quantity = Quantity(rawValue: q.name) else {
            if runNames.contains(q.name) {
                throw fail(q.column, "'\(q.name)' is a run, not a quantity", "measure something of it, e.g. test_accuracy(\(q.name))")
            }
            let near = Quantity.nearest(q.name, among: Quantity.names).map { "did you mean \($0)? " } ?? ""
            throw fail(q.column, "unknown quantity '\(q.name)'", "\(near)known: \(Quantity.names.joined(separator: ", "))")
        }
        var runName: String?, layer: ClaimArgument?, verdict: String?
        for (argument, column) in zip(q.arguments, q.argumentColumns) {
            switch argument {
            case .layer, .lastLayer:
                guard quantity.isPerLayer else {
                    throw fail(column, "\(q.name) is not measured per layer", "remove the layer, e.g. \(q.name)\(runNames.first.map { "(\($0))" } ?? "")")
                }
                guard layer == nil else { throw fail(column, "\(q.name) takes one layer", "keep one 'layer N'") }
                layer = argument
            case .name(let n):
                if quantity == .verdict && !runNames.contains(n) {
                    guard Quantity.verdictNames.contains(n) else {
                        let near = Quantity.nearest(n, among: Quantity.verdictNames).map { "did you mean \($0)? " } ?? ""
                        throw fail(column, "unknown verdict kind '\(n)'", "\(near)known: \(Quantity.verdictNames.joined(separator: ", "))")
                    }
                    guard verdict == nil else { throw fail(column, "verdict takes one kind", "write one verdict(run, kind) per kind") }
                    verdict = n; continue
                }
                guard runNames.contains(n) else {
                    let fix = runNames.isEmpty ? "this experiment has one unnamed run: leave the name out, e.g. \(q.name)(layer 1)"
                        : (Quantity.nearest(n, among: runNames).map { "did you mean \($0)? " } ?? "") + "runs: \(runNames.joined(separator: ", "))"
                    throw fail(column, "unknown run '\(n)'", fix)
                }
                guard runName == nil else { throw fail(column, "\(q.name) takes one run", "keep one run name") }
                runName = n
            }
        }
        guard let run = spec.run(named: runName) else {
            throw fail(q.column, "\(q.name) needs a run: the experiment has \(spec.runs.count)", "name one, e.g. \(q.name)(\(runNames.first ?? "run")\(quantity.isPerLayer ? ", layer 1" : ""))")
        }
        if quantity == .verdict && verdict == nil {
            throw fail(q.column, "verdict needs a kind", "e.g. verdict(\(runName ?? "run"), vanishing) > 0; known: \(Quantity.verdictNames.joined(separator: ", "))")
        }
        let count = ExperimentSpec.linearLayers(run.config)
        var index: Int?
        if quantity.isPerLayer {
            switch layer {
            case .layer(let k)?:
                guard k <= count else {
                    let i = q.arguments.firstIndex(of: .layer(k)) ?? 0
                    throw fail(q.argumentColumns[i], "layer \(k) does not exist: \(run.name.isEmpty ? "the run" : "run '\(run.name)'") has \(count) linear layers",
                               "use layer 1…\(count), or layer last")
                }
                index = k
            case .lastLayer?: index = count
            default: throw fail(q.column, "\(q.name) needs a layer", "e.g. \(q.name)(\(runName.map { "\($0), " } ?? "")layer 1)")
            }
        }
        if quantity.needsTraining && !run.trains {
            throw fail(q.column, "\(q.name) is measured by training, but \(run.name.isEmpty ? "the run" : "run '\(run.name)'") has steps=0", "add steps=N to the run")
        }
        if quantity == .timeRatio && !run.config.isRecurrent {
            throw fail(q.column, "time_ratio needs a recurrent model", "set model=rnn-tanh, lstm or gru with a sequence task as data")
        }
        if (quantity == .chi1 || quantity == .qStar) && (run.config.isRecurrent || run.config.initializer.sigmaW2(configured: run.config.sigmaW2) == nil) {
            throw fail(q.column, "\(q.name) has no mean-field value for this run", "use an MLP with a normal, uniform, orthogonal, Glorot, He or LeCun init")
        }
        return Resolved(quantity: quantity, run: run, layer: index, verdict: verdict)
    }

    /// Runs the experiment in-process (or reads it from `cacheDirectory`, keyed by `version` and
    /// the experiment text) and checks the claim against what it measured.
    public static func run(experiment: String, claim: String?, version: String, cacheDirectory: String?) throws -> ExperimentOutcome {
        let spec = try ExperimentSpec.parse(experiment)
        let bound = try claim.map { try bind(Claim.parse($0), to: spec) }
        let cache = cacheDirectory.map { ExperimentCache(directory: $0, version: version) }
        var runs: [RunMeasurement], cached = false
        if let hit = cache?.read(experiment: experiment) { runs = hit; cached = true } else {
            runs = try spec.runs.map { try RunMeasurement.measure($0) }
            try cache?.write(runs, experiment: experiment)
        }
        var checks: [ExperimentOutcome.Check] = []
        for c in bound?.comparisons ?? [] {
            let l = try evaluate(c.left, spec: spec, runs: runs), r = try evaluate(c.right, spec: spec, runs: runs)
            checks.append(.init(text: c.text, left: l, op: c.op.rawValue, right: r, holds: c.op.holds(l, r)))
        }
        return ExperimentOutcome(experiment: experiment, runs: runs, checks: checks, cached: cached)
    }

    package static func evaluate(_ e: ClaimExpr, spec: ExperimentSpec, runs: [RunMeasurement]) throws -> Double {
        switch e {
        case .number(let v): return v
        case .negate(let a): return -(try evaluate(a, spec: spec, runs: runs))
        case let .binary(a, op, b):
            let x = try evaluate(a, spec: spec, runs: runs), y = try evaluate(b, spec: spec, runs: runs)
            switch op {
            case .add: return x + y
            case .subtract: return x - y
            case .multiply: return x * y
            case .divide: return x / y
            }
        case let .quantity(name, arguments, column, argumentColumns):
            let r = try resolve((name, arguments, column, argumentColumns), in: spec, runNames: spec.runs.map(\.name).filter { !$0.isEmpty })
            guard let i = spec.runs.firstIndex(where: { $0.name == r.run.name }), i < runs.count else { return .nan }
            return runs[i].value(r.quantity, layer: r.layer, verdict: r.verdict)
        }
    }
}
