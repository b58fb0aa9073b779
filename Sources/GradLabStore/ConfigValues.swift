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

    /// The keys of a flat JSON object (a run config), sorted; nulls left out.
    static func flatten(_ json: String) throws -> [Entry] {
        guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(json.utf8)) else {
            throw GradLabError.invalid("a run's config must be a JSON object of key: value (got \(json.prefix(40).debugDescription))")
        }
        return object.keys.sorted().compactMap { key in
            switch object[key]! {
            case .null: return nil
            case .bool(let b): return Entry(key: key, value: b ? "true" : "false")
            case .integer(let i): return Entry(key: key, value: String(i), num: Double(i))
            case .number(let x): return Entry(key: key, value: x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)", num: x)
            case .string(let s): return Entry(key: key, value: s, num: nil)
            }
        }
    }

    static func dictionary(_ json: String) -> [String: String] {
        Dictionary(((try? flatten(json)) ?? []).map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    }
}
