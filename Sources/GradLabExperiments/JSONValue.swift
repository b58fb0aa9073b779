import Foundation
import GradLab
import Yams

/// A scalar value from an experiment file, kept as typed JSON so configs decode exactly as
/// `gradlab train --config` would read them.
public enum JSONValue: Sendable, Equatable {
    case number(Double), integer(Int), string(String), bool(Bool), null

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

    /// The value as JSONSerialization takes it.
    public var any: Any {
        switch self {
        case .number(let d): return d
        case .integer(let i): return i
        case .string(let s): return s
        case .bool(let b): return b
        case .null: return NSNull()
        }
    }

    /// Short text for run names (e.g. `depth=30`).
    public var text: String {
        switch self {
        case .number(let d): return String(format: "%g", d)
        case .integer(let i): return "\(i)"
        case .string(let s): return s
        case .bool(let b): return "\(b)"
        case .null: return "null"
        }
    }
}

extension RunConfig {
    /// `config` with `values` (run-config keys) applied, decoded exactly as a JSON config file.
    public static func applying(_ values: [String: JSONValue], to config: RunConfig, validate: Bool) throws -> RunConfig {
        var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as! [String: Any]
        for (k, v) in values { object[k] = v.any }
        let c = try RunConfig.decode(object)
        if validate { try c.validate() }
        return c
    }
}
