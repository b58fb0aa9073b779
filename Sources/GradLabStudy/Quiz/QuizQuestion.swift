import Foundation
import GradLab

/// How a quiz asks a card.
public enum QuizFormat: String, Codable, Sendable, CaseIterable {
    /// Four options, one right: the answer and three distractors.
    case multipleChoice = "choice"
    /// A question with a proposed answer that is either the answer or a distractor.
    case trueFalse = "true-false"
    /// The learner types the answer (`AnswerMatch` forgives case, spacing and punctuation).
    case typed
}

/// One quiz question made from a card.
public struct QuizQuestion: Sendable {
    public var deckID: String
    public var card: Card
    public var format: QuizFormat
    /// Multiple choice: the options in the order shown.
    public var options: [String]
    /// Multiple choice: the index of the answer in `options`; true/false: 0 if the proposed answer is right.
    public var correct: Int
    /// True/false: the answer proposed with the question.
    public var proposed: String?

    /// The text shown to the learner.
    public var prompt: String {
        switch format {
        case .multipleChoice:
            return card.front + "\n" + options.enumerated().map { "  \($0.offset + 1)) \($0.element)" }.joined(separator: "\n")
        case .trueFalse:
            return card.front + "\n  → \(proposed ?? "")\n  true or false? (t/f)"
        case .typed:
            return card.front + (card.kind == .cloze ? "\n  (type the hidden text)" : "\n  (type the answer)")
        }
    }

    /// Whether a response is right; nil when it is not a valid response to this format (ask again).
    public func check(_ response: String) -> Bool? {
        let r = response.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        switch format {
        case .multipleChoice:
            if let n = Int(r), (1...options.count).contains(n) { return n - 1 == correct }
            if r.count == 1, let c = r.unicodeScalars.first, (97..<(97 + options.count)).contains(Int(c.value)) { return Int(c.value) - 97 == correct }
            return nil
        case .trueFalse:
            if ["t", "true", "y", "yes"].contains(r) { return correct == 0 }
            if ["f", "false", "n", "no"].contains(r) { return correct == 1 }
            return nil
        case .typed:
            return r.isEmpty ? nil : AnswerMatch.matches(response, answer: card.back)
        }
    }

    /// The right answer, as feedback shows it.
    public var answerText: String {
        format == .trueFalse ? (correct == 0 ? "true" : "false") + " — the answer is: " + card.back : card.back
    }
}

/// Builds a quiz from a deck, deterministically from a seed.
public enum QuizMaker {
    /// Answers longer than this are not asked as typed questions.
    public static let longestTypedAnswer = 40

    public static func make(deck: Deck, count: Int, seed: UInt64, formats: Set<QuizFormat> = Set(QuizFormat.allCases)) throws -> [QuizQuestion] {
        guard count >= 1 else { throw GradLabError.invalid("--questions \(count): ask for at least 1 question") }
        guard !formats.isEmpty else { throw GradLabError.invalid("no question formats chosen — allow choice, true-false or typed") }
        var random = SeededRandom(seed: seed)
        let cards = deck.cards.filter { $0.kind != .reversed }.shuffled(using: &random)
        var questions: [QuizQuestion] = []
        for card in cards where questions.count < count {
            if let q = question(card, deck: deck, formats: formats, random: &random) { questions.append(q) }
        }
        return questions
    }

    static func question(_ card: Card, deck: Deck, formats: Set<QuizFormat>, random: inout SeededRandom) -> QuizQuestion? {
        let wrong = Distractors.pick(for: card, in: deck, count: 3, random: &random)
        var possible: [QuizFormat] = []
        if formats.contains(.multipleChoice), wrong.count == 3 { possible += [.multipleChoice, .multipleChoice] }
        if formats.contains(.trueFalse), !wrong.isEmpty { possible.append(.trueFalse) }
        if formats.contains(.typed), card.back.count <= longestTypedAnswer, !card.back.contains("\n") { possible += [.typed] }
        guard let format = possible.randomElement(using: &random) else { return nil }
        var q = QuizQuestion(deckID: deck.id, card: card, format: format, options: [], correct: 0, proposed: nil)
        switch format {
        case .multipleChoice:
            q.options = ([card.back] + wrong).shuffled(using: &random)
            q.correct = q.options.firstIndex(of: card.back)!
        case .trueFalse:
            let right = random.uniform() < 0.5
            q.proposed = right ? card.back : wrong[random.int(below: wrong.count)]
            q.correct = right ? 0 : 1
        case .typed:
            break
        }
        return q
    }
}
