/// Errors meant for people: each message is one line that names the problem and the fix.
public enum GradLabError: Error, CustomStringConvertible, Equatable {
    /// A bad value in a config, flag or argument.
    case invalid(String)
    /// Bad data in a file: path, row and what is wrong.
    case data(String)
    /// A needed resource (library, file) is missing.
    case unavailable(String)
    /// Input/output failed.
    case io(String)
    /// A run-config key with a value of the wrong type or out of range: the key and the value as
    /// written travel with the message, so a file reader can point at the line that set it.
    case badValue(key: String, value: String, message: String)

    public var description: String {
        switch self {
        case .invalid(let m), .data(let m), .unavailable(let m), .io(let m), .badValue(_, _, let m): return m
        }
    }
}
