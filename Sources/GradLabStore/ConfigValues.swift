import Foundation
import GradLab

/// A run's config as flat `key → text` pairs, the form that filters and comparisons use.
/// Numbers keep their value (`num`) so `lr=1e-3` finds 0.001.
enum ConfigValues {
    struct Entry: Equatable {
        var key: String
        var value: String
        var num: Double?
    }

    /// Top-level keys of a JSON object, sorted; nested values as compact JSON text, nulls left out.
    static func flatten(_ json: String) throws -> [Entry] {
        guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(json.utf8)) else {
            throw GradLabError.invalid("a run's config must be a JSON object of key: value (got \(json.prefix(40).debugDescription))")
        }
        return object.keys.sorted().compactMap { key in
            switch object[key]! {
            case .null: return nil
            case .bool(let b): return Entry(key: key, value: b ? "true" : "false")
            case .number(let text, let x): return Entry(key: key, value: text, num: x)
            case .string(let s): return Entry(key: key, value: s, num: nil)
            case .other(let text): return Entry(key: key, value: text)
            }
        }
    }

    static func dictionary(_ json: String) -> [String: String] {
        Dictionary(((try? flatten(json)) ?? []).map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    }
}

/// Just enough of JSON to tell booleans, numbers and strings apart (JSONSerialization's NSNumber
/// blurs true and 1 on some platforms).
private enum JSONValue: Decodable {
    case null, bool(Bool), number(String, Double), string(String), other(String)

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .number(String(i), Double(i)) }
        else if let x = try? c.decode(Double.self) { self = .number(x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)", x) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else {
            // Arrays and objects: kept as compact text so they still compare.
            let any = try? c.decode(AnyJSON.self)
            self = .other(any?.text ?? "?")
        }
    }
}

/// Nested JSON re-encoded as sorted, compact text.
private struct AnyJSON: Decodable {
    let text: String
    init(from decoder: Decoder) throws {
        if var a = try? decoder.unkeyedContainer() {
            var parts: [String] = []
            while !a.isAtEnd { parts.append(try a.decode(AnyJSON.self).text) }
            text = "[" + parts.joined(separator: ",") + "]"
        } else if let o = try? decoder.container(keyedBy: Key.self) {
            text = "{" + o.allKeys.map(\.stringValue).sorted().map { k in
                "\"\(k)\":" + ((try? o.decode(AnyJSON.self, forKey: Key(stringValue: k)!).text) ?? "null")
            }.joined(separator: ",") + "}"
        } else {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { text = "null" }
            else if let b = try? c.decode(Bool.self) { text = b ? "true" : "false" }
            else if let x = try? c.decode(Double.self) { text = "\(x)" }
            else { text = "\"\(try c.decode(String.self))\"" }
        }
    }
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
