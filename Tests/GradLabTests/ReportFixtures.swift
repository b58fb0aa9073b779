import XCTest
import Foundation
import GradLab
import GradLabDiagnostics
import GradLabReports

/// Run directories with made-up but well-formed records, read back through `StoredRun.load` as a
/// report reads real ones. Folder names carry no settings: a report must take them from configs.
enum ReportFixtures {
    /// Writes one run: `losses` per step, evaluations (step, accuracy), and probe records every
    /// `probeEvery` steps with `layers` linear layers named `layers.0`, `layers.2`, … (gradient
    /// 10^-(L-l), gain undefined for the top layer) and, if `timeSteps` > 0, one recurrent layer.
    static func writeRun(_ dir: String, config: RunConfig, losses: [Double], evals: [(step: Int, accuracy: Double)],
                         layers: Int = 4, timeSteps: Int = 0, probeEvery: Int = 10) throws -> StoredRun {
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let run = RunDirectory(dir)
        try run.write(config: config)
        func lines(_ objects: [[String: Any]]) -> Data {
            Data(objects.map { String(decoding: try! JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) + "\n" }.joined().utf8)
        }
        let metrics = losses.enumerated().map { i, l -> [String: Any] in
            ["step": i, "epoch": 0, "loss": l.isFinite ? l as Any : "NaN", "gradNorm": 1.0, "learningRate": config.lr]
        }
        try lines(metrics).write(to: URL(fileURLWithPath: run.file(.metrics)))
        try lines(evals.map { e -> [String: Any] in ["step": e.step, "loss": 1.0, "accuracy": e.accuracy] }).write(to: URL(fileURLWithPath: run.file(.evals)))
        let stream = try ProbeStream(creating: run.file(.probe))
        for s in stride(from: 0, to: losses.count, by: probeEvery) {
            let stats = (1...Swift.max(layers, 1)).map { l -> LayerStats in
                var x = LayerStats(step: s, layer: l, name: "layers.\(2 * (l - 1))", activation: "tanh")
                x.gradNorm = Foundation.pow(10, -Double(layers - l)) * (1 + Double(s) / 100)
                x.deltaNorm = x.gradNorm
                x.gain = l == layers ? nil : 0.1
                x.gainProduct = Foundation.pow(0.1, Double(layers - l))
                return x
            }
            var step = ProbeStep(step: s, loss: losses[s], gradNorm: 1, learningRate: config.lr, layers: layers > 0 ? stats : [])
            if timeSteps > 0 {
                step.time = [TimeStats(step: s, name: "layers.0", cell: "rnn-tanh",
                                       gradNormByTime: (1...timeSteps).map { Foundation.pow(0.8, Double(timeSteps - $0)) })]
            }
            stream.append(step)
        }
        return try StoredRun.load(dir)
    }

    /// A 3 (depth) × 2 (σ_w²) × 2 (seed) sweep: 12 runs with known final accuracies.
    static func sweep(_ root: String, evalSteps: [Int] = [100, 200, 300]) throws -> [StoredRun] {
        var runs: [StoredRun] = []
        for depth in [10, 30, 60] {
            for sigma in [1.0, 1.76] {
                for seed in [0, 1] {
                    var c = RunConfig()
                    c.data = .digits; c.activation = .tanh; c.initializer = .normal; c.depth = depth; c.sigmaW2 = sigma
                    c.seed = UInt64(seed); c.steps = 300; c.lr = 0.01
                    let accuracy = accuracyAt(depth: depth, sigmaW2: sigma, seed: seed)
                    let losses = (0..<300).map { 2.3 * Foundation.exp(-Double($0) / Double(depth * 10)) + 0.01 }
                    runs.append(try writeRun((root as NSString).appendingPathComponent(String(format: "run-%02d", runs.count)), config: c, losses: losses,
                                             evals: evalSteps.map { ($0, accuracy * Double($0) / Double(evalSteps.last!)) }, layers: depth + 1))
                }
            }
        }
        return runs
    }

    static func accuracyAt(depth: Int, sigmaW2: Double, seed: Int) -> Double {
        0.9 - Double(depth) / 100 + (sigmaW2 > 1.5 ? 0.05 : 0) + (seed == 0 ? 0.01 : -0.01)
    }
}

/// What a test reads from a report's SVG.
enum SVGText {
    /// The `<svg>…</svg>` elements of a page.
    static func charts(_ html: String) -> [String] {
        html.components(separatedBy: "<svg ").dropFirst().map { "<svg " + ($0.components(separatedBy: "</svg>").first ?? "") }
    }

    /// The chart's `<title>`.
    static func title(_ svg: String) -> String {
        svg.components(separatedBy: "<title>").dropFirst().first?.components(separatedBy: "</title>").first ?? ""
    }

    /// Every text element's (x, y, content), entities decoded.
    static func texts(_ svg: String) -> [(x: Double, y: Double, text: String)] {
        matches(#"<text x="([-0-9.]+)" y="([-0-9.]+)"[^>]*>([^<]*)</text>"#, svg).map { (Double($0[1])!, Double($0[2])!, unescape($0[3])) }
    }

    /// The legend entries of a line chart: the swatch's colour and dash and the text beside it,
    /// lines joined by spaces.
    static func legend(_ svg: String) -> [(colour: String, dash: String, text: String)] {
        matches(#"<line [^>]*stroke="(#[0-9A-Fa-f]{6})" stroke-width="3(?:\.0)?"([^>]*)/>((?:<text[^>]*>[^<]*</text>)+)"#, svg).map { m in
            let dash = matches(#"stroke-dasharray="([^"]*)""#, m[2]).first?[1] ?? ""
            let text = matches(#"<text[^>]*>([^<]*)</text>"#, m[3]).map { unescape($0[1]) }.joined(separator: " ")
            return (m[1].lowercased(), dash, text)
        }
    }

    static func matches(_ pattern: String, _ s: String) -> [[String]] {
        let re = try! NSRegularExpression(pattern: pattern)
        let ns = s as NSString
        return re.matches(in: s, range: NSRange(location: 0, length: ns.length)).map { m in
            (0..<m.numberOfRanges).map { m.range(at: $0).location == NSNotFound ? "" : ns.substring(with: m.range(at: $0)) }
        }
    }

    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
    }
}
