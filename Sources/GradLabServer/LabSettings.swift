import Foundation
import GradLab
import GradLabKit

/// What one server allows: sizes of a run and of a request, and how many runs at once. A run
/// past a cap is refused with the cap and the way around it (the CLI has no such caps).
struct LabLimits: Codable, Sendable {
    var depth = 100, width = 1024, steps = 5000, seqLen = 400, batch = 1024, samples = 20_000
    /// depth × steps: the probe keeps every layer of every step, for the heat map and the verdicts.
    var layerSteps = 250_000
    /// Runs training at once (one thread each), and runs waiting beyond those.
    var runs = 2, queue = 8
    var bodyBytes = 65_536

    /// The config a request asks for, checked as `gradlab train` checks its flags, then against
    /// the caps; data must be a built-in set (the page cannot name files on the server).
    func config(_ values: [String: JSONValue]) throws -> RunConfig {
        var c: RunConfig
        do {
            c = try RunConfig().applying(values)
            try c.validate()
        } catch { throw APIError(badInput: error) }
        switch c.data {
        case .csv, .idx: throw APIError(.badRequest, "the web lab trains on built-in data only; choose one of \(LabCatalog.dataNames.joined(separator: ", "))", key: "data")
        default: break
        }
        func cap(_ value: Int, _ limit: Int, _ key: String) throws {
            guard value <= limit else {
                throw APIError(.badRequest, "\(key) \(value) is above the web lab's cap of \(limit); lower it, or run it with gradlab train", key: key)
            }
        }
        try cap(c.depth, depth, "depth")
        try cap(c.width, width, "width")
        try cap(c.steps, steps, "steps")
        try cap(c.batch, batch, "batch")
        try cap(c.samples, samples, "samples")
        if c.isRecurrent { try cap(c.seqLen, seqLen, "seq-len") }
        guard max(c.depth, 1) * c.steps <= layerSteps else {
            throw APIError(.badRequest, "depth × steps = \(c.depth * c.steps) is above the web lab's cap of \(layerSteps) layer-steps; lower steps to \(layerSteps / max(c.depth, 1))", key: "steps")
        }
        // Runs share the machine: each trains on one thread (the thread count is process-wide).
        c.threads = 1
        do { return try c.resolved() } catch { throw APIError(badInput: error) }
    }
}

/// The lab's menus: every config key with its type and choices, the controls the page shows,
/// and the presets.
enum LabCatalog {
    struct Key: Encodable { var name: String, help: String, type: String, choices: [String]?, `default`: JSONValue? }
    struct Preset: Encodable { var name: String, config: [String: JSONValue], compare: [String: JSONValue]? }
    struct Menu: Encodable {
        var keys: [Key], controls: [String], sequenceTasks: [String], recurrentModels: [String], limits: LabLimits, presets: [Preset]
    }

    static var dataNames: [String] { DataSource.builtins.map(\.description) + SequenceTask.names }
    static let controls = ["data", "model", "depth", "width", "activation", "init", "sigma-w2", "sigma-b2", "normalization",
                           "branch-scale", "optimizer", "lr", "clip-norm", "steps", "seed", "seq-len", "batch"]

    static func choices(_ key: String) -> [String]? {
        switch key {
        case "data": dataNames
        case "model": ModelKind.names
        case "activation": ActivationKind.names
        case "init": InitKind.names
        case "normalization": NormalizationKind.names
        case "optimizer": OptimizerKind.names
        case "schedule": ScheduleKind.names
        case "recurrent-init": RecurrentInitKind.names
        case "branch-scale": ["one", "skipinit", "fixup", "inv-sqrt-depth"]
        default: nil
        }
    }

    static func menu(limits: LabLimits) -> Menu {
        let defaults = RunConfig()
        let keys = RunConfig.keys.map { k -> Key in
            let value = k.value(in: defaults)
            let type = choices(k.name) != nil && k.name != "branch-scale" ? "choice" : k.isFlag ? "bool"
                : k.expected.contains("integer") ? "int" : k.expected == "a number" ? "number" : "text"
            return Key(name: k.name, help: k.help, type: type, choices: choices(k.name), default: value == .null ? nil : value)
        }
        return Menu(keys: keys, controls: controls, sequenceTasks: SequenceTask.names,
                    recurrentModels: ModelKind.allCases.filter { $0.cell != nil }.map(\.rawValue), limits: limits, presets: presets)
    }

    /// The presets: the demo's pair (the same 20-layer network, vanishing and fixed), a large
    /// init that explodes, and the gated cell against the plain one on the adding problem.
    static var presets: [Preset] {
        let demo = DemoRun.configs(depth: 20, steps: 800, seed: 0)
        // The lab's pair differs only in activation and init (the demo also gives the sigmoid a
        // larger step): switching those two in the page is the whole fix.
        var vanishing = demo[0].config
        vanishing.lr = demo[1].config.lr
        var exploding = demo[0].config
        exploding.activation = .relu; exploding.sigmaW2 = 3; exploding.lr = 0.1
        var lstm = RunConfig()
        lstm.model = .lstm; lstm.data = .sequence(.adding); lstm.seqLen = 50; lstm.depth = 1; lstm.width = 64
        lstm.forgetBias = 1; lstm.optimizer = .adam; lstm.lr = 3e-3; lstm.clipNorm = 1; lstm.steps = 600; lstm.batch = 32
        var rnn = lstm
        rnn.model = .rnnTanh; rnn.forgetBias = nil
        return [Preset(name: "vanishing: 20-layer sigmoid", config: vanishing.values, compare: nil),
                Preset(name: "exploding: large init", config: exploding.values, compare: nil),
                Preset(name: "fixed by He init", config: demo[1].config.values, compare: nil),
                Preset(name: "LSTM vs tanh RNN on adding", config: lstm.values, compare: rnn.values)]
    }
}
