import Foundation
import GradLab
import GradLabTheory

/// An answer to a prediction question, the learner's, the theory's or the measured one.
public enum PredictionAnswer: Hashable, Sendable, Codable {
    case outcome(GradientOutcome)
    /// The decade k of ρ ≈ 10^k.
    case decade(Int)
    case race(RaceOutcome)
}

/// One drawn question: its template, seed, the setting(s) it is about and, for a race, the rules.
public struct PredictionQuestion: Hashable, Sendable, Codable {
    public let template: PredictionTemplate
    public let seed: UInt64
    /// One setting; two for a race (A, B).
    public let settings: [PredictionSetting]
    public let race: RaceRules?

    /// The id the scheduler rates and schedules: the template's (`PredictionTemplate.rawValue`).
    public var cardID: String { template.rawValue }

    /// The answers a learner chooses from, in the order `optionTexts` shows them.
    public var answers: [PredictionAnswer] {
        switch template {
        case .outcome: return GradientOutcome.allCases.map { .outcome($0) }
        case .magnitude: return GradientRatio.decades.map { .decade($0) }
        case .race: return RaceOutcome.allCases.map { .race($0) }
        }
    }

    /// Reads a learner's reply: an option's number (1-based), its name ("vanishing", "first", "A",
    /// "B"), or for magnitude an exponent as typed ("-3", "10^-3", "1e-3"); nil when none matches.
    public func answer(from reply: String) -> PredictionAnswer? {
        let s = reply.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if template == .magnitude {
            let body = s.replacingOccurrences(of: "≤", with: "").replacingOccurrences(of: "≥", with: "")
                .replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "−", with: "-")
            let exponent = body.hasPrefix("10^") ? String(body.dropFirst(3)) : (body.hasPrefix("1e") ? String(body.dropFirst(2)) : body)
            return Int(exponent).map { .decade(Swift.min(GradientRatio.decadeLimit, Swift.max(-GradientRatio.decadeLimit, $0))) }
        }
        if let n = Int(s), answers.indices.contains(n - 1) { return answers[n - 1] }
        switch template {
        case .outcome: return GradientOutcome(rawValue: s).map { .outcome($0) }
        case .race:
            let aliases: [String: RaceOutcome] = ["a": .first, "b": .second, "same": .tie, "none": .neither]
            return (RaceOutcome(rawValue: s) ?? aliases[s]).map { .race($0) }
        case .magnitude: return nil
        }
    }

    /// The theory's call on each setting (the data's input statistics read first).
    public func theoryCalls() throws -> [TheoryCall] {
        try settings.map { TheoryCall.call($0, input: try InputStatistics.of($0)) }
    }

    /// The theory's answer from its calls, or nil with the reason it has none.
    ///   outcome, magnitude: the label or decade of the predicted ρ (`GradientRatio`);
    ///   race: the setting whose predicted |log₁₀ ρ| is smaller by at least half a decade reaches
    ///   the target first (its early layers get a usable gradient, the other's do not); none when
    ///   both are within that of each other, or either has no call.
    public func theoryAnswer(_ calls: [TheoryCall]) -> (answer: PredictionAnswer?, reason: String?) {
        switch template {
        case .outcome:
            return calls[0].outcome.map { (.outcome($0), nil) } ?? (nil, calls[0].ratio.reason)
        case .magnitude:
            return calls[0].decade.map { (.decade($0), nil) } ?? (nil, calls[0].ratio.reason)
        case .race:
            guard let a = calls[0].ratio.value, let b = calls[1].ratio.value else {
                return (nil, calls.compactMap(\.ratio.reason).first)
            }
            let (da, db) = (Self.decadesOff(a), Self.decadesOff(b))
            if Swift.abs(da - db) < 0.5 {
                return (nil, String(format: "both settings pass the gradient within half a decade of each other (|log₁₀ ρ| = %.2f and %.2f); mean-field theory ranks gradient flow, not training speed beyond it", da, db))
            }
            return (.race(da < db ? .first : .second), nil)
        }
    }

    /// |log₁₀ ρ|: how many decades the gradient changes across the net (∞ for 0 or ∞).
    static func decadesOff(_ rho: Double) -> Double { rho > 0 && rho.isFinite ? Swift.abs(Foundation.log10(rho)) : .infinity }

    /// Runs the question in-process: the step-0 look for outcome and magnitude, both trainings for a race.
    public func measure() throws -> PredictionMeasurement {
        if let race {
            return .race(try RaceMeasurement.measure(settings[0], settings[1], target: race.target, maxSteps: race.maxSteps, lr: race.learningRate))
        }
        return .stepZero(try StepZeroMeasurement.measure(settings[0]))
    }

    /// Theory, measurement and scores for the learner's `answer` (nil: no answer, scored 0).
    public func evaluate(learner answer: PredictionAnswer?) throws -> PredictionResult {
        let calls = try theoryCalls()
        return PredictionResult(question: self, learner: answer, calls: calls, measurement: try measure())
    }
}

/// What a question's run measured.
public enum PredictionMeasurement: Sendable {
    case stepZero(StepZeroMeasurement)
    case race(RaceMeasurement)

    /// The measured answer for `template`.
    public func answer(_ template: PredictionTemplate) -> PredictionAnswer {
        switch self {
        case .stepZero(let m): return template == .magnitude ? .decade(m.decade) : .outcome(m.outcome)
        case .race(let m): return .race(m.winner)
        }
    }
}

/// A question answered and run: the learner's answer, the theory's, the measured one, and scores.
public struct PredictionResult: Sendable {
    public let question: PredictionQuestion
    public let learner: PredictionAnswer?
    public let calls: [TheoryCall]
    public let theory: PredictionAnswer?
    /// Why the theory made no call (nil when it made one).
    public let theoryReason: String?
    public let measurement: PredictionMeasurement
    public let measured: PredictionAnswer

    public init(question: PredictionQuestion, learner: PredictionAnswer?, calls: [TheoryCall], measurement: PredictionMeasurement) {
        self.question = question; self.learner = learner; self.calls = calls; self.measurement = measurement
        (theory, theoryReason) = question.theoryAnswer(calls)
        measured = measurement.answer(question.template)
    }

    /// 1 when `answer` is the measured answer, else 0 (no answer scores 0). Exact: a decade one off
    /// is wrong, as a wrong option is.
    public static func score(_ answer: PredictionAnswer?, measured: PredictionAnswer) -> Double { answer == measured ? 1 : 0 }

    public var learnerScore: Double { Self.score(learner, measured: measured) }
    /// The theory's score, nil where it made no call.
    public var theoryScore: Double? { theory.map { Self.score($0, measured: measured) } }

    /// The rating the scheduler records for the template: correct → good, wrong → again.
    public var rating: Rating { learnerScore == 1 ? .good : .again }
}
