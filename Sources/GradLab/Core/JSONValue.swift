import Foundation

/// One JSON scalar, typed: the value of a run-config key wherever it comes from (a JSON config
/// file, a YAML experiment, a command-line flag, the run store). Integers stay integers, so a
/// key that wants one can refuse `2.5` by name.
///
/// Non-finite numbers are written as the strings "NaN", "Infinity" and "-Infinity", the same
/// spelling as `JSONEncoder.records`, and read back as numbers by `JSONDecoder.records`.
public enum JSONValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case number(Double), integer(Int), string(String), bool(Bool), null

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .integer(i) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected a number, a string, true/false or null") }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let d): try c.encode(d)
        case .integer(let i): try c.encode(i)
        case .string(let s): try c.encode(s)
        case .bool(let b): try c.encode(b)
        case .null: try c.encodeNil()
        }
    }

    /// A value typed on the command line: true/false, an integer, a number, else a string.
    public init(text: String) {
        if text == "true" || text == "false" { self = .bool(text == "true") }
        else if let i = Int(text) { self = .integer(i) }
        else if let d = Double(text), text.rangeOfCharacter(from: .decimalDigits) != nil { self = .number(d) }
        else { self = .string(text) }
    }

    /// The value as written: `0.1`, `30`, `tanh`, `true`, `null` (used in messages).
    public var description: String {
        if case .number(let d) = self { return "\(d)" }
        return text
    }

    /// Short text for run names (`sigma-w2=1.76`, `depth=30`).
    public var text: String {
        switch self {
        case .number(let d): return String(format: "%g", d)
        case .integer(let i): return "\(i)"
        case .string(let s): return s
        case .bool(let b): return "\(b)"
        case .null: return "null"
        }
    }

    public var double: Double? {
        switch self {
        case .number(let d): return d
        case .integer(let i): return Double(i)
        default: return nil
        }
    }
}

extension JSONValue {
    /// The first key that appears twice in one object of the JSON text `data`, if any. Decoders
    /// keep one of the two silently, so a config file that sets a key twice would lose a value
    /// without a word. Assumes `data` is valid JSON (decode it first).
    public static func duplicateKey(in data: Data) -> String? {
        // One frame per open object or array: the keys seen so far (objects), and whether the
        // next string is a key.
        var frames: [(keys: Set<String>?, expectKey: Bool)] = []
        let bytes = [UInt8](data)
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "{"): frames.append((keys: [], expectKey: true))
            case UInt8(ascii: "["): frames.append((keys: nil, expectKey: false))
            case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = frames.popLast()
            case UInt8(ascii: ","): if frames.last?.keys != nil { frames[frames.count - 1].expectKey = true }
            case UInt8(ascii: ":"): if !frames.isEmpty { frames[frames.count - 1].expectKey = false }
            case UInt8(ascii: "\""):
                let start = i
                i += 1
                while i < bytes.count && bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
                if let last = frames.last, last.expectKey, last.keys != nil {
                    let raw = Data(bytes[start...min(i, bytes.count - 1)])
                    let key = (try? JSONDecoder().decode(String.self, from: raw)) ?? String(decoding: raw, as: UTF8.self)
                    if frames[frames.count - 1].keys!.insert(key).inserted == false { return key }
                }
            default: break
            }
            i += 1
        }
        return nil
    }
}
