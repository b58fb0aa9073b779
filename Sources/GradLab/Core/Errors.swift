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

    public var description: String {
        switch self {
        case .invalid(let m), .data(let m), .unavailable(let m), .io(let m): return m
        }
    }
}
