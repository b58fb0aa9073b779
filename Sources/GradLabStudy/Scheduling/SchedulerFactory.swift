import GradLab

extension SchedulerKind {
    /// Reads `--scheduler NAME`; an unknown name is a one-line `GradLabError.invalid`.
    public static func parse(_ text: String) throws -> SchedulerKind {
        guard let kind = SchedulerKind(rawValue: text.lowercased()) else {
            let names = allCases.map(\.rawValue).joined(separator: " or ")
            throw GradLabError.invalid("unknown scheduler '\(text)' — use \(names)")
        }
        return kind
    }

    /// The scheduler of this kind; `fsrs` configures FSRS (SM-2 has no settings).
    public func make(fsrs configuration: FSRSConfiguration = FSRSConfiguration()) throws -> any Scheduler {
        switch self {
        case .fsrs: try FSRS(configuration: configuration)
        case .sm2: SM2()
        }
    }
}
