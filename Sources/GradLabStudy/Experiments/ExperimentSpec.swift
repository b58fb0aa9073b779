import Foundation
import GradLab
import GradLabKit

/// A card's `experiment:` line, parsed: the small runs it names.
///
/// Grammar:
///
///     experiment := "demo" setting*  |  run (";" run)*
///     run        := [name "="] setting*          name: letters, digits, "_"; not a config key
///                                                 (`good = depth=20`, `good= depth=20`, `good=depth=20`)
///     setting    := key "=" value                 key: a RunConfig key (`gradlab train --help`)
///
/// - `demo` is the two networks of `gradlab demo`: `bad` (20 sigmoid layers of width 64,
///   N(0, 1/fan_in) weights, SGD lr 0.1) and `good` (the same with ReLU and He init, lr 0.02), on
///   the digits; settings after `demo` apply to both (`demo steps=300 depth=10`).
/// - Named runs use RunConfig's keys and values, checked by RunConfig's own key table: an unknown
///   key or a bad value is an error at deck load. A single run may be unnamed; claims then leave
///   the run out. Several runs must each have a distinct name.
/// - `steps` defaults to 0 here: the run is only probed at step 0 (one forward/backward, no
///   update). Give `steps=N` to train (evaluation on the test split happens once, at the end;
///   the probe looks every `probe-every` steps, by default every max(1, N/50)-th).
/// - Errors are `DeckError`s with file "" and line 0 and `column` the 1-based column in the text.
public struct ExperimentSpec: Equatable, Sendable {
    public struct Run: Equatable, Sendable {
        /// The run's name in claims; "" for the single unnamed run.
        public var name: String
        public var config: RunConfig
        /// The settings as written (key, value), for messages and charts.
        public var settings: [(String, String)]
        public var trains: Bool { config.steps > 0 }

        public static func == (a: Run, b: Run) -> Bool {
            a.name == b.name && a.config == b.config && a.settings.map { $0.0 + "=" + $0.1 } == b.settings.map { $0.0 + "=" + $0.1 }
        }
    }

    public var runs: [Run]
    public var isDemo: Bool

    /// The run a claim means: `name`, or the only run when `name` is nil.
    public func run(named name: String?) -> Run? {
        guard let name else { return runs.count == 1 ? runs[0] : nil }
        return runs.first { $0.name == name }
    }

    static func error(_ column: Int, _ problem: String, _ fix: String) -> DeckError {
        DeckError(file: "", line: 0, column: column, problem: problem, fix: fix)
    }

    /// Words of `text` with their 1-based columns, split at whitespace; `;` is a word of its own.
    static func words(_ text: String) -> [(String, Int)] {
        var out: [(String, Int)] = [], word = "", start = 0
        for (i, c) in text.enumerated() {
            if c.isWhitespace || c == ";" {
                if !word.isEmpty { out.append((word, start)); word = "" }
                if c == ";" { out.append((";", i + 1)) }
            } else {
                if word.isEmpty { start = i + 1 }
                word.append(c)
            }
        }
        if !word.isEmpty { out.append((word, start)) }
        return out
    }

    public static func parse(_ text: String) throws -> ExperimentSpec {
        let words = Self.words(text)
        guard !words.isEmpty else {
            throw error(1, "the experiment is empty", "name runs with config keys, e.g. 'depth=10 activation=tanh', or write 'demo'")
        }
        if words[0].0 == "demo" {
            if let semi = words.first(where: { $0.0 == ";" }) {
                throw error(semi.1, "'demo' already names its two runs (bad, good)", "give settings for both after 'demo', or write named runs instead")
            }
            let settings = Array(words.dropFirst())
            let runs = try DemoRun.configs().map { name, base in
                try makeRun(name: name, base: base, settings: settings)
            }
            return ExperimentSpec(runs: runs, isDemo: true)
        }
        var segments: [[(String, Int)]] = [[]]
        for w in words { if w.0 == ";" { segments.append([]) } else { segments[segments.count - 1].append(w) } }
        var runs: [Run] = []
        for (i, var segment) in segments.enumerated() {
            guard !segment.isEmpty else {
                let at = i == 0 ? 1 : words.filter { $0.0 == ";" }[i - 1].1
                throw error(at, "an empty run between ';'", "remove the extra ';' or give the run its settings")
            }
            var name = "", nameColumn = segment[0].1
            if segment.count >= 2, segment[1].0 == "=" || segment[1].0.hasPrefix("=") && !segment[0].0.contains("=") {
                name = segment[0].0; nameColumn = segment[0].1
                if segment[1].0 == "=" { segment.removeFirst(2) } else {
                    segment[1] = (String(segment[1].0.dropFirst()), segment[1].1 + 1); segment.removeFirst()
                }
            } else if segment[0].0.hasSuffix("="), segment[0].0.filter({ $0 == "=" }).count == 1 {
                name = String(segment[0].0.dropLast()); segment.removeFirst()
            } else if segment[0].0.filter({ $0 == "=" }).count >= 2, let eq = segment[0].0.firstIndex(of: "="),
                      RunConfig.key(String(segment[0].0[..<eq])) == nil {
                // `good=depth=20`: the name written against its first setting.
                name = String(segment[0].0[..<eq])
                segment[0] = (String(segment[0].0[segment[0].0.index(after: eq)...]), segment[0].1 + name.count + 1)
            }
            if !name.isEmpty {
                guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), name.first!.isLetter else {
                    throw error(nameColumn, "run name '\(name)' must be letters, digits and '_', starting with a letter", "rename it, e.g. 'deep' or 'run_2'")
                }
                if RunConfig.key(name) != nil || Quantity(rawValue: name) != nil || name == "layer" || name == "last" || name == "and" {
                    throw error(nameColumn, "'\(name)' cannot name a run: it is a config key or a word of the claim language", "choose another name, e.g. '\(name)_run'")
                }
                if runs.contains(where: { $0.name == name }) {
                    throw error(nameColumn, "run '\(name)' is named twice", "give each run its own name")
                }
            }
            var base = RunConfig(); base.steps = 0
            runs.append(try makeRun(name: name, base: base, settings: segment))
            runs[runs.count - 1].name = name
        }
        if runs.count > 1, let unnamed = runs.firstIndex(where: { $0.name.isEmpty }) {
            let column = (segments[unnamed].first?.1) ?? 1
            throw error(column, "with several runs every run needs a name", "write 'name = key=value …' for each run, e.g. 'deep = depth=30'")
        }
        return ExperimentSpec(runs: runs, isDemo: false)
    }

    static func makeRun(name: String, base: RunConfig, settings: [(String, Int)]) throws -> Run {
        var config = base, written: [(String, String)] = [], seen: Set<String> = []
        var columnOfKey: [String: Int] = [:]
        for (word, column) in settings {
            guard let eq = word.firstIndex(of: "="), eq != word.startIndex, word.index(after: eq) != word.endIndex else {
                throw error(column, "'\(word)' is not a setting", "write key=value with no spaces, e.g. depth=20")
            }
            let key = String(word[..<eq]), value = String(word[word.index(after: eq)...])
            let valueColumn = column + key.count + 1
            guard let configKey = RunConfig.key(key) else {
                let near = Quantity.nearest(key, among: RunConfig.keyNames).map { "did you mean \($0)? " } ?? ""
                throw error(column, "unknown config key '\(key)'", "\(near)known: \(RunConfig.keyNames.joined(separator: ", "))")
            }
            guard seen.insert(key).inserted else { throw error(column, "key '\(key)' is set twice in one run", "keep one") }
            columnOfKey[key] = valueColumn
            if key == "steps", value == "0" { config.steps = 0; written.append((key, value)); continue }
            do { try configKey.set(JSONValue(text: value), in: &config) } catch let e as GradLabError {
                throw error(valueColumn, e.description, "fix the value of \(key) (\(configKey.expected))")
            }
            written.append((key, value))
        }
        // The range checks and the rules joining keys; steps = 0 (probe only) is this language's own.
        var checked = config
        if checked.steps == 0 { checked.steps = 1 }
        do { try checked.validate() } catch let e as GradLabError {
            var column = settings.first?.1 ?? 1
            if case .badValue(let key, _, _) = e, let c = columnOfKey[key] { column = c }
            throw error(column, e.description, "change the setting so the run is valid")
        }
        if config.steps > 0 && !seen.contains("eval-every") { config.evalEvery = 0 }
        if config.steps > 0 && !seen.contains("probe-every") { config.probeEvery = Swift.max(1, config.steps / 50) }
        return Run(name: name, config: config, settings: written)
    }

    /// How many linear layers the probe sees in a run: an MLP of depth D has D + 1, a residual
    /// MLP of B blocks 2B + 2 (input map, two per branch, head), a recurrent model its output map.
    package static func linearLayers(_ c: RunConfig) -> Int {
        switch c.model {
        case .mlp: return c.depth + 1
        case .resmlp: return 2 * c.depth + 2
        default: return 1
        }
    }
}
