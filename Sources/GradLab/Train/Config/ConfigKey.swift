import Foundation

/// A type a run-config key can hold: how it reads a `JSONValue` and writes one back, and what a
/// person should write ("an integer", "one of: …") when a value is refused.
package protocol ConfigValue {
    static var expected: String { get }
    /// The value, or nil when `json` is the wrong type or not an allowed name.
    init?(json: JSONValue)
    var json: JSONValue { get }
}

extension Int: ConfigValue {
    package static var expected: String { "an integer" }
    package init?(json: JSONValue) {
        switch json {
        case .integer(let i): self = i
        case .number(let d) where d == d.rounded() && abs(d) < 1e15: self = Int(d)
        default: return nil
        }
    }
    package var json: JSONValue { .integer(self) }
}

extension UInt64: ConfigValue {
    package static var expected: String { "a non-negative integer" }
    package init?(json: JSONValue) {
        guard let i = Int(json: json), i >= 0 else { return nil }
        self = UInt64(i)
    }
    package var json: JSONValue { .integer(Int(truncatingIfNeeded: self)) }
}

extension Double: ConfigValue {
    package static var expected: String { "a number" }
    package init?(json: JSONValue) {
        guard let d = json.double else { return nil }
        self = d
    }
    package var json: JSONValue { .number(self) }
}

extension Bool: ConfigValue {
    package static var expected: String { "true or false" }
    package init?(json: JSONValue) {
        guard case .bool(let b) = json else { return nil }
        self = b
    }
    package var json: JSONValue { .bool(self) }
}

extension ConfigValue where Self: RunChoice {
    package static var expected: String { "allowed: \(names.joined(separator: ", "))" }
    package init?(json: JSONValue) {
        guard case .string(let s) = json, let v = Self(name: s) else { return nil }
        self = v
    }
    package var json: JSONValue { .string(rawValue) }
}

extension ActivationKind: ConfigValue {}
extension NormalizationKind: ConfigValue {}
extension ModelKind: ConfigValue {}
extension InitKind: ConfigValue {}
extension OptimizerKind: ConfigValue {}
extension ScheduleKind: ConfigValue {}
extension RecurrentInitKind: ConfigValue {}

extension DataSource: ConfigValue {
    package static var expected: String { "allowed: \(names.joined(separator: ", "))" }
    package init?(json: JSONValue) {
        guard case .string(let s) = json, let v = DataSource(name: s) else { return nil }
        self = v
    }
    package var json: JSONValue { .string(description) }
}

extension BranchScaleSetting: ConfigValue {
    package static var expected: String { "allowed: \(names.joined(separator: ", "))" }
    package init?(json: JSONValue) {
        switch json {
        case .string(let s): guard let v = BranchScaleSetting(name: s) else { return nil }; self = v
        case .number, .integer: self = .value(json.double!)
        default: return nil
        }
    }
    package var json: JSONValue { if case .value(let a) = self { return .number(a) } else { return .string(description) } }
}

/// Optional keys: absent (or null) means "not set".
extension Optional: ConfigValue where Wrapped: ConfigValue {
    package static var expected: String { Wrapped.expected }
    package init?(json: JSONValue) {
        if json == .null { self = .none; return }
        guard let w = Wrapped(json: json) else { return nil }
        self = .some(w)
    }
    package var json: JSONValue { self?.json ?? .null }
}

/// One key of `RunConfig`: its name (the spelling of config files, YAML and flags), help text,
/// the property it sets and the check of its range. `RunConfig.keys` lists them all; decoding,
/// encoding, validation, flag and YAML overrides and their error texts all read that table.
public struct ConfigKey: @unchecked Sendable {
    public let name: String
    public let help: String
    /// What a value must be, for messages: "an integer", "allowed: …".
    public let expected: String
    /// A Bool key: given as a bare flag (`--standardize`) on the command line.
    public let isFlag: Bool
    let read: (RunConfig) -> JSONValue
    let write: (inout RunConfig, JSONValue) -> Bool
    /// nil if the value is in range, else the rule it breaks ("must be ≥ 1").
    let check: (RunConfig) -> String?

    init<T: ConfigValue>(_ name: String, _ path: WritableKeyPath<RunConfig, T>, _ help: String, check: ((T) -> String?)? = nil) {
        self.name = name; self.help = help; self.expected = T.expected
        self.isFlag = T.self == Bool.self
        read = { $0[keyPath: path].json }
        write = { config, value in
            guard let v = T(json: value) else { return false }
            config[keyPath: path] = v
            return true
        }
        self.check = { c in check?(c[keyPath: path]) }
    }

    /// The key's value in `config`, as written in files.
    public func value(in config: RunConfig) -> JSONValue { read(config) }

    /// Sets the key from `value`; a wrong type names the key, what it wants and the value.
    public func set(_ value: JSONValue, in config: inout RunConfig) throws {
        guard write(&config, value) else {
            let got: String
            switch value {
            case .string(let s): got = "the string \"\(s)\""
            case .bool(let b): got = "\(b) (true/false)"
            default: got = value.description
            }
            let message = expected.hasPrefix("allowed:") ? "\(name) '\(value)' is not known; \(expected)" : "key '\(name)' must be \(expected), got \(got)"
            throw GradLabError.badValue(key: name, value: value.description, message: message)
        }
    }

    /// The range check's message for `config`'s value, naming the key and the value.
    public func problem(in config: RunConfig) -> GradLabError? {
        guard let rule = check(config) else { return nil }
        let v = read(config).description
        return GradLabError.badValue(key: name, value: v, message: "\(name) \(v) \(rule)")
    }
}

/// Range checks used by the key table.
enum Check {
    static func atLeast<T: Comparable>(_ lo: T, _ unit: String = "") -> (T) -> String? { { $0 >= lo ? nil : "must be ≥ \(lo)\(unit)" } }
    static func within<T: Comparable>(_ r: ClosedRange<T>) -> (T) -> String? { { r.contains($0) ? nil : "must be in \(r.lowerBound)…\(r.upperBound)" } }
    static func positive(_ x: Double) -> String? { x > 0 && x.isFinite ? nil : "must be a positive number" }
    static func positive(_ x: Double?) -> String? { x.map(positive) ?? nil }
    static func finite(_ x: Double?) -> String? { (x ?? 0).isFinite ? nil : "must be a finite number" }
    static func nonNegative(_ x: Double) -> String? { x >= 0 && x.isFinite ? nil : "must be ≥ 0" }
    static func unit(_ x: Double) -> String? { x >= 0 && x < 1 ? nil : "must be in [0, 1)" }
}
