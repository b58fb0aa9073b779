import Foundation
import GradLab

/// A named problem found in the probe's stream, with the layers, the step it was first seen,
/// the numbers that triggered it, the mechanism in plain words, and remedies ranked best first
/// (the repair candidates of its rule as advice for the run's config; none on a bare stream).
public struct Verdict: Codable, Equatable, Sendable {
    /// The name of a problem. Open: the built-in rules report the kinds below, and a rule defined
    /// elsewhere (`DiagnosisRule`) may declare its own, `Verdict.Kind("my-problem")`. It is
    /// stored (JSON files, SQLite) as its plain string.
    public struct Kind: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(rawValue)
        }

        public static let nonFinite = Kind("non-finite")
        public static let lossBlowUp = Kind("loss-blow-up")
        public static let vanishing = Kind("vanishing")
        public static let exploding = Kind("exploding")
        public static let updateRatio = Kind("update-ratio")
        public static let deadReLU = Kind("dead-relu")
        public static let saturation = Kind("saturation")
        public static let poorInit = Kind("poor-init")
        public static let unchanged = Kind("unchanged")
        public static let notDecreasing = Kind("loss-not-decreasing")
        public static let oscillation = Kind("oscillating-loss")
        public static let slowConvergence = Kind("slow-convergence")
        public static let notLearning = Kind("not-learning")

        /// The built-in kinds, in the order reports list them.
        public static let allCases: [Kind] = [.nonFinite, .lossBlowUp, .vanishing, .exploding, .updateRatio, .deadReLU, .saturation,
                                              .poorInit, .unchanged, .notDecreasing, .oscillation, .slowConvergence, .notLearning]
    }
    public var kind: Kind
    /// 1-based Dense layer numbers, input side first.
    public var layers: [Int]
    public var firstStep: Int
    /// True when found by the step-0 prediction, before any training.
    public var predicted: Bool
    public var evidence: String
    public var explanation: String
    public var remedies: [String]
    /// For a consequence (a stalled loss, slow progress, a run that learned nothing): the root
    /// problem it follows from, whose remedies it carries. Nil for a root cause, or when no cause
    /// was found.
    public var cause: Kind?

    public var line: String {
        let where_ = layers.isEmpty ? "" : " at layer\(layers.count > 1 ? "s" : "") \(Verdict.ranges(layers))"
        let from = cause.map { $0 == kind ? "" : " (a consequence of \($0.rawValue))" } ?? ""
        return "\(kind.rawValue)\(where_), \(predicted ? "predicted at step 0" : "step \(firstStep)")\(from): \(evidence)"
    }

    static func ranges(_ xs: [Int]) -> String {
        var out: [String] = [], i = 0
        let s = xs.sorted()
        while i < s.count {
            var j = i
            while j + 1 < s.count && s[j + 1] == s[j] + 1 { j += 1 }
            out.append(j > i ? "\(s[i])–\(s[j])" : "\(s[i])")
            i = j + 1
        }
        return out.joined(separator: ", ")
    }
}
extension Verdict {
    /// One verdict per kind, the earliest (a predicted one before one seen in training), in kind
    /// order: the built-in kinds first, then any other kind in the order it first appears.
    public static func merged(_ verdicts: [Verdict]) -> [Verdict] {
        var byKind: [Kind: Verdict] = [:]
        for v in verdicts where byKind[v.kind] == nil || (v.predicted && !(byKind[v.kind]!.predicted)) { byKind[v.kind] = v }
        return Kind.ordered(extra: verdicts.map(\.kind)).compactMap { byKind[$0] }
    }

    /// A verdict built outside the rule engine (tests, imported records, rules of other modules).
    public init(_ kind: Kind, layers: [Int], firstStep: Int, predicted: Bool, evidence: String, explanation: String, remedies: [String]) {
        self.kind = kind; self.layers = layers; self.firstStep = firstStep; self.predicted = predicted
        self.evidence = evidence; self.explanation = explanation; self.remedies = remedies
    }
}

/// Whether a rule's problem is a root cause or the consequence of one. A consequence (the loss
/// stalls, progress is slow, nothing is learned) is listed after the causes found with it and
/// takes its remedies from the most urgent of them: raising the learning rate does not cure a
/// vanishing gradient.
public enum VerdictRole: Sendable {
    case cause, consequence
}

extension Verdict.Kind {
    /// `allCases`, then the kinds of `extra` that are not among them, each once, in their order.
    static func ordered(extra: [Verdict.Kind]) -> [Verdict.Kind] {
        var out = allCases, seen = Set(allCases)
        for k in extra where seen.insert(k).inserted { out.append(k) }
        return out
    }
}
