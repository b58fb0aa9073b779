import Foundation
import GradLab
import GradLabDiagnostics

/// Flat exports of a run for spreadsheets and data-frame libraries: step metrics (one row per
/// step: step, epoch, loss, accuracy, grad_norm, learning_rate) and probe statistics (one row per
/// probed step and layer: step, then every `LayerStats` field under its JSON Lines name).
///
/// CSV (RFC 4180): a header row, comma-separated, fields quoted only when they need it, a missing
/// value (no accuracy, no gain) is an empty field. JSON Lines (jsonlines.org): one object per row
/// with the same keys, a missing value is `null`. In both, non-finite numbers are spelled `NaN`,
/// `Infinity`, `-Infinity` (as Python's `json` and pandas read them). Files are written atomically.
package enum RunExport {
    package enum Format: String, Sendable {
        case csv, jsonLines

        /// From the file extension: `.csv`, or `.jsonl`/`.ndjson`.
        package init(path: String) throws {
            switch URL(fileURLWithPath: path).pathExtension.lowercased() {
            case "csv": self = .csv
            case "jsonl", "ndjson": self = .jsonLines
            default: throw GradLabError.invalid("cannot tell the export format of \(path); name it .csv or .jsonl")
            }
        }
    }

    /// A cell: numbers keep full precision (shortest form that reads back exactly).
    package enum Field: Equatable, Sendable {
        case int(Int), double(Double), string(String), missing
    }

    package struct Table: Sendable {
        package var columns: [String]
        package var rows: [[Field]]

        package func text(_ format: Format) -> String {
            switch format {
            case .csv:
                return ([columns.map(RunExport.csvQuoted)] + rows.map { $0.map(RunExport.csvText) }).map { $0.joined(separator: ",") + "\n" }.joined()
            case .jsonLines:
                return rows.map { row in
                    "{" + zip(columns, row).map { RunExport.jsonString($0) + ":" + RunExport.jsonText($1) }.joined(separator: ",") + "}\n"
                }.joined()
            }
        }
    }

    package static func metrics(_ steps: [StepRecord]) -> Table {
        Table(columns: ["step", "epoch", "loss", "accuracy", "grad_norm", "learning_rate"],
              rows: steps.map { [.int($0.step), .int($0.epoch), .double($0.loss), $0.accuracy.map(Field.double) ?? .missing,
                                 .double($0.gradNorm), .double($0.learningRate)] })
    }

    package static func probe(_ steps: [ProbeStep]) -> Table {
        let columns: [(String, (LayerStats) -> Field)] = [
            ("step", { .int($0.step) }), ("layer", { .int($0.layer) }), ("name", { .string($0.name) }),
            ("activation", { $0.activation.map(Field.string) ?? .missing }),
            ("grad_norm", { .double($0.gradNorm) }), ("grad_rms", { .double($0.gradRMS) }),
            ("grad_max_abs", { .double($0.gradMaxAbs) }), ("grad_mean_abs", { .double($0.gradMeanAbs) }),
            ("grad_zero_fraction", { .double($0.gradZeroFraction) }), ("grad_nonfinite", { .int($0.gradNonFinite) }),
            ("bias_grad_norm", { optional($0.biasGradNorm) }), ("weight_norm", { .double($0.weightNorm) }),
            ("weight_std", { optional($0.weightStd) }), ("update_norm", { .double($0.updateNorm) }),
            ("update_ratio", { .double($0.updateRatio) }), ("activation_mean", { .double($0.activationMean) }),
            ("activation_std", { .double($0.activationStd) }), ("activation_nonfinite", { .int($0.activationNonFinite) }),
            ("saturated_fraction", { optional($0.saturatedFraction) }), ("dead_fraction", { optional($0.deadFraction) }),
            ("delta_norm", { .double($0.deltaNorm) }), ("delta_nonfinite", { .int($0.deltaNonFinite) }),
            ("gain", { optional($0.gain) }), ("gain_product", { .double($0.gainProduct) }),
            ("jacobian_sigma_max", { optional($0.jacobianSigmaMax) }),
            ("jacobian_mean_sq_sigma", { optional($0.jacobianMeanSquaredSigma) }),
        ]
        // The layer's own `step` is the probed step's (the probe stamps both).
        return Table(columns: columns.map(\.0), rows: steps.flatMap { s in
            s.layers.map { l in var l = l; l.step = s.step; return columns.map { $0.1(l) } }
        })
    }

    /// Writes the step metrics to `path` as CSV or JSON Lines (default: from the extension).
    package static func writeMetrics(_ steps: [StepRecord], to path: String, format: Format? = nil) throws {
        try atomicWrite(Data(metrics(steps).text(format ?? Format(path: path)).utf8), to: path)
    }

    /// Writes the probe's per-layer statistics to `path` as CSV or JSON Lines.
    package static func writeProbe(_ steps: [ProbeStep], to path: String, format: Format? = nil) throws {
        try atomicWrite(Data(probe(steps).text(format ?? Format(path: path)).utf8), to: path)
    }

    private static func optional(_ x: Double?) -> Field { x.map(Field.double) ?? .missing }

    static func number(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x > 0 ? "Infinity" : "-Infinity" }
        return "\(x)"   // Swift's shortest round-trip form, e.g. 0.1, 1e-05, 3.0
    }

    private static func csvText(_ f: Field) -> String {
        switch f {
        case .int(let i): return "\(i)"
        case .double(let x): return number(x)
        case .string(let s): return csvQuoted(s)
        case .missing: return ""
        }
    }

    private static func csvQuoted(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    private static func jsonText(_ f: Field) -> String {
        switch f {
        case .int(let i): return "\(i)"
        case .double(let x): return number(x)
        case .string(let s): return jsonString(s)
        case .missing: return "null"
        }
    }

    private static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
