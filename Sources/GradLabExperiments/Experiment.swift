import Foundation
import GradLab
import GradLabTheory
import Yams

/// A declarative experiment: a base run config, named variants, an optional grid or random
/// sweep, seeds and probe settings — read from one YAML file.
///
/// ```yaml
/// name: sigmoid-vs-relu          # required: names the runs directory
/// description: free text
/// base: {data: digits, depth: 10, width: 64, steps: 400}   # any `gradlab train` key
/// runs:                          # named variants; each overrides base keys
///   sigmoid: {activation: sigmoid, init: normal, sigma-w2: 1}
///   relu-he: {activation: relu, init: he-normal}
/// sweep:                         # optional, one of:
///   grid: {depth: [10, 30], sigma-w2: [1.0, 1.76, 3.0]}
///   random: {trials: 20, seed: 0, space: {lr: {log-uniform: [1e-4, 1e-1]}, depth: {choice: [10, 20]}}}
/// seeds: [0, 1]                  # every point once per seed (default: base's seed)
/// tags: [baseline, tanh]         # labels recorded with every run in the store (`runs --tag`)
/// probe: {every: 10}             # probe cadence for the stored per-layer records
/// workers: 2                     # parallel processes (--workers overrides)
/// ```
/// Every point is variant × sweep point × seed; its resolved config is saved with its results so
/// any run can be repeated exactly. Unknown keys and bad values are refused with the file, the
/// line and what is allowed.
package struct Experiment: Sendable {
    package var name: String
    package var description: String
    package var base: [String: JSONValue]
    package var runs: [(name: String, overrides: [String: JSONValue])]
    package var sweep: Sweep?
    package var seeds: [UInt64]?
    package var probeEvery: Int
    package var workers: Int
    /// Labels every run of the experiment gets in the run store.
    package var tags: [String] = []
    /// The file name (for messages) and its text (saved with the runs).
    package var source: String
    package var sourceText: String
    /// Line of each key's value, per section ("base", "runs.<name>", "sweep"), for messages.
    var lines: [String: [String: Int]] = [:]

    /// A name that is safe as one folder name on every system: ASCII letters, digits, '.', '_'
    /// and '-', not starting with '.' (so never `.`, `..` or hidden).
    package static func isSafeName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first != "." else { return false }
        return s.unicodeScalars.allSatisfy { c in
            ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "." || c == "_" || c == "-"
        }
    }

    package static let topKeys = ["name", "description", "base", "runs", "sweep", "seeds", "probe", "workers", "tags"]

    /// A tag: 1 to 64 characters without commas, quotes or control characters, not blank.
    package static func isTag(_ s: String) -> Bool {
        !s.trimmingCharacters(in: .whitespaces).isEmpty && s.count <= 64
            && !s.unicodeScalars.contains { $0 == "," || $0 == "\"" || CharacterSet.controlCharacters.contains($0) }
    }
    package static func tagRule(_ s: String) -> String {
        "tag '\(s)' must be 1 to 64 characters, not blank, without commas, quotes or control characters"
    }

    package enum Sweep: Sendable {
        case grid([(key: String, values: [JSONValue])])
        case random(trials: Int, seed: UInt64, space: [(key: String, distribution: Distribution)])
    }

    package enum Distribution: Sendable, Equatable {
        case uniform(Double, Double), logUniform(Double, Double), choice([JSONValue])
        package static let names = ["uniform", "log-uniform", "choice"]
    }

    /// One concrete run of the experiment.
    package struct Point: Sendable {
        package var index: Int
        package var name: String
        package var config: RunConfig
    }

    /// Parses and validates `path`; every error names the file and line.
    package static func load(_ path: String) throws -> Experiment {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw GradLabError.io("\(path): cannot read the experiment file")
        }
        return try parse(text, source: path)
    }

    package static func parse(_ text: String, source: String) throws -> Experiment {
        func fail(_ node: Node?, _ message: String) -> GradLabError {
            GradLabError.invalid("\(source)\(node?.mark.map { ":\($0.line)" } ?? ""): \(message)")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch let e as YamlError {
            throw GradLabError.invalid("\(source): not valid YAML: \(yamlMessage(e))")
        }
        guard let root, let top = root.mapping else { throw fail(root, "an experiment is a mapping of keys (name, base, runs, sweep, …)") }
        var e = Experiment(name: "", description: "", base: [:], runs: [], sweep: nil, seeds: nil, probeEvery: 10, workers: 1,
                           source: source, sourceText: text)
        for (k, v) in top {
            guard let key = k.string, topKeys.contains(key) else {
                throw fail(k, "unknown key '\(k.string ?? "?")'; allowed: \(topKeys.joined(separator: ", "))")
            }
            switch key {
            case "name":
                guard let s = v.string, Self.isSafeName(s) else {
                    throw fail(v, "name '\(v.string ?? "")' must be letters, digits, '.', '_' or '-', not starting with '.' (it names the runs directory)")
                }
                e.name = s
            case "description": e.description = v.string ?? ""
            case "base": e.base = try configMapping(v, fail, lines: &e.lines["base", default: [:]])
            case "runs":
                guard let m = v.mapping else { throw fail(v, "runs must map variant names to config overrides, e.g. relu: {activation: relu}") }
                for (rk, rv) in m {
                    guard let n = rk.string, n.range(of: "^[A-Za-z0-9._-]+$", options: .regularExpression) != nil else {
                        throw fail(rk, "variant names must be letters, digits, '.', '_' or '-'")
                    }
                    e.runs.append((n, rv.mapping == nil && rv.null != nil ? [:] : try configMapping(rv, fail, lines: &e.lines["runs.\(n)", default: [:]])))
                }
            case "sweep": e.sweep = try parseSweep(v, fail, lines: &e.lines["sweep", default: [:]])
            case "seeds":
                guard let seq = v.sequence, !seq.isEmpty else { throw fail(v, "seeds must be a list of non-negative integers, e.g. [0, 1, 2]") }
                e.seeds = try seq.map { n in
                    guard let i = n.int, i >= 0 else { throw fail(n, "seed '\(n.string ?? "?")' must be a non-negative integer") }
                    return UInt64(i)
                }
            case "probe":
                guard let m = v.mapping else { throw fail(v, "probe must be a mapping, e.g. {every: 10}") }
                for (pk, pv) in m {
                    guard pk.string == "every" else { throw fail(pk, "unknown probe key '\(pk.string ?? "?")'; allowed: every") }
                    guard let i = pv.int, i >= 1 else { throw fail(pv, "probe every must be an integer ≥ 1") }
                    e.probeEvery = i
                }
            case "tags":
                guard let seq = v.sequence else { throw fail(v, "tags must be a list of labels, e.g. [baseline, tanh]") }
                e.tags = try seq.map { n in
                    guard let s = n.scalar?.string, isTag(s) else { throw fail(n, tagRule(n.scalar?.string ?? "?")) }
                    return s
                }
            case "workers":
                guard let i = v.int, i >= 1, i <= 64 else { throw fail(v, "workers must be an integer in 1…64") }
                e.workers = i
            default: break
            }
        }
        guard !e.name.isEmpty else { throw GradLabError.invalid("\(source): the experiment needs a name (name: my-experiment)") }
        // Every point must be a valid run: check each, naming the line of the value at fault.
        _ = try e.points()
        return e
    }

    /// Config keys with their YAML values, each checked against `RunConfig` (name and value).
    static func configMapping(_ node: Node, _ fail: (Node?, String) -> GradLabError, lines: inout [String: Int]) throws -> [String: JSONValue] {
        guard let m = node.mapping else { throw fail(node, "expected a mapping of run-config keys, e.g. {depth: 10, activation: relu}") }
        let allowed = RunConfig.keyNames
        var out: [String: JSONValue] = [:]
        for (k, v) in m {
            guard let key = k.string, allowed.contains(key) else {
                throw fail(k, "unknown run key '\(k.string ?? "?")'; allowed: \(allowed.joined(separator: ", "))")
            }
            let value = try JSONValue(node: v, fail)
            // Types now; values in `points()`, where constraints between keys can be checked.
            do { _ = try RunConfig().applying([key: value]) } catch let err as GradLabError {
                throw fail(v, err.description)
            }
            out[key] = value
            lines[key] = v.mark?.line
        }
        return out
    }

    static func parseSweep(_ node: Node, _ fail: (Node?, String) -> GradLabError, lines: inout [String: Int]) throws -> Sweep {
        guard let m = node.mapping, m.count == 1, let (k, v) = m.first.map({ ($0.key, $0.value) }) else {
            throw fail(node, "sweep must be exactly one of grid: {key: [values]} or random: {trials, seed, space}")
        }
        let allowed = RunConfig.keyNames
        func checkKey(_ n: Node) throws -> String {
            guard let key = n.string, allowed.contains(key) else {
                throw fail(n, "unknown run key '\(n.string ?? "?")' in the sweep; allowed: \(allowed.joined(separator: ", "))")
            }
            return key
        }
        switch k.string {
        case "grid":
            guard let g = v.mapping, !g.isEmpty else { throw fail(v, "grid must map run keys to lists of values") }
            return .grid(try g.map { gk, gv in
                let key = try checkKey(gk)
                guard let seq = gv.sequence, !seq.isEmpty else { throw fail(gv, "grid values for '\(key)' must be a non-empty list") }
                lines[key] = gv.mark?.line
                return (key, try seq.map { n in
                    let value = try JSONValue(node: n, fail)
                    do { _ = try RunConfig().applying([key: value]) } catch let err as GradLabError { throw fail(n, err.description) }
                    // A bad value is named with its own line.
                    do { try RunConfig().applying([key: value]).validate() }
                    catch GradLabError.badValue(let k, _, let message) where k == key { throw fail(n, message) }
                    catch {}
                    return value
                })
            })
        case "random":
            guard let r = v.mapping else { throw fail(v, "random must be a mapping {trials, seed, space}") }
            var trials = 0, seed: UInt64 = 0
            var space: [(String, Distribution)] = []
            for (rk, rv) in r {
                switch rk.string {
                case "trials": guard let i = rv.int, i >= 1 else { throw fail(rv, "trials must be an integer ≥ 1") }; trials = i
                case "seed": guard let i = rv.int, i >= 0 else { throw fail(rv, "seed must be a non-negative integer") }; seed = UInt64(i)
                case "space":
                    guard let sm = rv.mapping, !sm.isEmpty else { throw fail(rv, "space must map run keys to distributions") }
                    for (sk, sv) in sm {
                        let key = try checkKey(sk)
                        lines[key] = sv.mark?.line
                        guard let d = sv.mapping, d.count == 1, let (dk, dv) = d.first.map({ ($0.key, $0.value) }) else {
                            throw fail(sv, "a distribution is one of \(Distribution.names.map { "{\($0): …}" }.joined(separator: ", "))")
                        }
                        let seq = dv.sequence ?? []
                        switch dk.string {
                        case "uniform", "log-uniform":
                            guard seq.count == 2, let lo = seq[0].float, let hi = seq[1].float, lo < hi, dk.string == "uniform" || lo > 0 else {
                                throw fail(dv, "\(dk.string!) needs [low, high] with low < high\(dk.string == "log-uniform" ? " and low > 0" : "")")
                            }
                            space.append((key, dk.string == "uniform" ? .uniform(lo, hi) : .logUniform(lo, hi)))
                        case "choice":
                            guard !seq.isEmpty else { throw fail(dv, "choice needs a non-empty list") }
                            space.append((key, .choice(try seq.map { try JSONValue(node: $0, fail) })))
                        default: throw fail(dk, "unknown distribution '\(dk.string ?? "?")'; allowed: \(Distribution.names.joined(separator: ", "))")
                        }
                    }
                default: throw fail(rk, "unknown random-sweep key '\(rk.string ?? "?")'; allowed: trials, seed, space")
                }
            }
            guard trials > 0, !space.isEmpty else { throw fail(v, "random needs trials ≥ 1 and a space") }
            return .random(trials: trials, seed: seed, space: space)
        default:
            throw fail(k, "unknown sweep kind '\(k.string ?? "?")'; allowed: grid, random")
        }
    }

    /// Every point, in a fixed order (variants outer, sweep points, seeds inner), each a fully
    /// resolved config. Shards and resumption rely on this order.
    package func points() throws -> [Point] {
        let variants = runs.isEmpty ? [("run", [String: JSONValue]())] : runs.map { ($0.name, $0.overrides) }
        var sweepPoints: [(String, [String: JSONValue])] = [("", [:])]
        switch sweep {
        case nil: break
        case .grid(let axes):
            sweepPoints = axes.reduce([("", [String: JSONValue]())]) { acc, axis in
                acc.flatMap { name, values in axis.values.map { v in
                    var d = values; d[axis.key] = v
                    return (name + (name.isEmpty ? "" : ",") + "\(axis.key)=\(v.text)", d)
                } }
            }
        case let .random(trials, seed, space):
            var rng = SeededRandom.derived(seed: seed, 0x5EE9)
            sweepPoints = (0..<trials).map { t in
                var d: [String: JSONValue] = [:]
                for (key, dist) in space {
                    switch dist {
                    case let .uniform(lo, hi): d[key] = .number(rng.uniform(lo, hi))
                    case let .logUniform(lo, hi): d[key] = .number(Foundation.exp(rng.uniform(Foundation.log(lo), Foundation.log(hi))))
                    case let .choice(options): d[key] = options[rng.int(below: options.count)]
                    }
                }
                return ("trial\(t)", d)
            }
        }
        var out: [Point] = []
        for (variant, overrides) in variants { for (sweepName, sweepValues) in sweepPoints {
            var merged = base
            for (k, v) in overrides { merged[k] = v }
            for (k, v) in sweepValues { merged[k] = v }
            var config0: RunConfig
            do {
                config0 = try RunConfig().applying(merged)
                if merged["probe-every"] == nil { config0.probeEvery = probeEvery }
                config0 = try config0.resolved()
            } catch let err as GradLabError {
                // Name the line of the key at fault, where this run takes it from: its variant,
                // the sweep, or base.
                var key: String? = nil
                if case .badValue(let k, _, _) = err { key = k }
                else { key = merged.keys.first { err.description.contains("'\($0)'") } }
                let line = key.flatMap { k in lines["runs.\(variant)"]?[k] ?? lines["sweep"]?[k] ?? lines["base"]?[k] }
                throw GradLabError.invalid("\(source)\(line.map { ":\($0)" } ?? ""): \(err.description) (run '\(variant)\(sweepName.isEmpty ? "" : " \(sweepName)")')")
            }
            for seed in seeds ?? [config0.seed] {
                var c = config0; c.seed = seed
                let name = [variant, sweepName.isEmpty ? nil : sweepName, seeds == nil ? nil : "seed=\(seed)"].compactMap { $0 }.joined(separator: ",")
                out.append(Point(index: out.count, name: name, config: c))
            }
        } }
        return out
    }

    /// The run-config keys whose values differ among the points (what a sweep or its variants
    /// vary, seeds included), each with its values in point order: the hyperparameters a
    /// TensorBoard HParams view compares.
    package func varyingKeys() throws -> [(name: String, values: [JSONValue])] {
        let all = try points().map(\.config.values)
        let keys = Set(all.flatMap(\.keys)).sorted()
        return keys.compactMap { k in
            let values = all.map { $0[k] ?? .null }
            return Set(values).count > 1 ? (k, values) : nil
        }
    }

    static func yamlMessage(_ e: YamlError) -> String {
        switch e {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _):
            return "line \(mark.line): \(problem)\(context.map { " \($0.text)" } ?? "")"
        case let .duplicatedKeysInMapping(duplicates, context):
            return "line \(context.mark.line): \(duplicates.sorted().map { "key '\($0)'" }.joined(separator: ", ")) given twice in one mapping; keep one"
        default: return "\(e)".split(separator: "\n").first.map(String.init) ?? "\(e)"
        }
    }
}

extension JSONValue {
    /// A YAML scalar, typed as YAML reads it (plain `30` is an integer, `"30"` a string).
    init(node: Node, _ fail: (Node?, String) -> GradLabError) throws {
        guard let s = node.scalar else { throw fail(node, "expected a single value here, not a list or mapping") }
        if s.style == .plain || s.style == .any {
            if s.string == "null" || s.string == "~" { self = .null; return }
            if let b = node.bool, ["true", "false"].contains(s.string.lowercased()) { self = .bool(b); return }
            if let i = Int(s.string) { self = .integer(i); return }
            if let d = node.float, s.string.rangeOfCharacter(from: .decimalDigits) != nil { self = .number(d); return }
        }
        self = .string(s.string)
    }
}
