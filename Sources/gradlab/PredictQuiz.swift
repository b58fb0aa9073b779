import Foundation
import GradLab
import GradLabStudy

/// The predict-then-run part of `gradlab quiz --predict N`: each question draws a network, takes the
/// learner's prediction, shows the theory's, runs it, and scores both against the measurement. The
/// question's template is its card: it is rated (right → Good, wrong → Again) and scheduled like one.
struct PredictQuiz {
    let count: Int
    let seed: UInt64
    let offset: Int
    let total: Int
    let store: StudyStore
    let scheduler: any Scheduler
    let keyboard: Keyboard

    /// Asks the questions; returns how many the learner got right, and the missed ones' summaries.
    func run() throws -> (right: Int, missed: [String]) {
        guard count > 0 else { return (0, []) }
        let deck = PredictionTemplate.deck
        try store.importDeck(deck)
        var right = 0, missed: [String] = []
        for k in 0..<count {
            let question = PredictionGenerator.question(seed: seed &+ UInt64(k) &* 0x9E37_79B9_7F4A_7C15)
            print("[\(offset + k + 1)/\(total)] " + question.text)
            var answer: PredictionAnswer?
            while answer == nil {
                guard let line = keyboard.line(prompt: "> ") else { return (right, missed) }
                if line.trimmingCharacters(in: .whitespaces).lowercased() == "q" { return (right, missed) }
                answer = question.answer(from: line)
                if answer == nil { print("answer with an option's number or name" + (question.template == .magnitude ? ", or an exponent such as -3" : "")) }
            }
            print("running it…")
            let result = try question.evaluate(learner: answer)
            print(result.text + "\n")
            if result.learnerScore == 1 { right += 1 } else { missed.append("\(question.template.rawValue) (seed \(question.seed)): measured \(result.measured.text)") }
            if let card = try store.card(deck: deck.id, id: question.cardID) {
                let now = Date()
                try store.record(card, rating: result.rating, after: scheduler.review(card.memory, rating: result.rating, at: now), at: now,
                                 scheduler: scheduler.name, kind: .predict)
            }
        }
        return (right, missed)
    }
}
