import ArgumentParser
import Foundation
import GradLab
import GradLabStudy

/// `gradlab quiz`: multiple choice, true/false and typed questions from a deck, scored and recorded.
struct Quiz: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Quiz yourself on a deck; missed questions come back sooner in `gradlab study`.",
        discussion: """
        Answer multiple choice with 1–4 (or a–d), true/false with t or f, and typed questions by typing
        (case, spaces and punctuation do not matter). A missed question counts as Again for its card.
        Examples:
          gradlab quiz                              # 10 questions from the built-in deck
          gradlab quiz my-notes.md --questions 20 --seed 7
          gradlab quiz --predict 3                  # and three predict-then-run questions
        """)

    @Argument(help: "A deck file (Markdown), or a built-in deck name (gradients). Default: gradients.") var deck: String?
    @Option(parsing: .unconditional, help: "How many questions from the deck.") var questions = 10
    @Option(help: "Seed: the same seed asks the same questions in the same order.") var seed: UInt64?
    @Option(parsing: .unconditional, help: "Also ask this many predict-then-run questions (a network is drawn, you predict, it runs).") var predict = 0
    @OptionGroup var options: StudyOptions

    func run() throws {
        guard predict >= 0 else { throw GradLabError.invalid("--predict \(predict) is negative — give 0 or more") }
        let scheduler = try options.makeScheduler()
        let parsed = try BuiltinDeck.resolve(deck)
        let seed = self.seed ?? UInt64(Date().timeIntervalSince1970)
        let asked = try QuizMaker.make(deck: parsed, count: questions, seed: seed)
        let store = try options.openStore()
        try store.importDeck(parsed)
        let keyboard = Keyboard()
        var missed: [QuizQuestion] = []
        var right = 0
        let total = asked.count + predict
        print("Quiz: \(parsed.title) — \(total) question\(total == 1 ? "" : "s") (seed \(seed))\n")
        for (n, q) in asked.enumerated() {
            print("[\(n + 1)/\(total)] " + q.prompt)
            var verdict: Bool?
            while verdict == nil {
                guard let line = keyboard.line(prompt: "> ") else { return finish(right, asked: n, missed.map(Self.summary), store) }
                if line.trimmingCharacters(in: .whitespaces).lowercased() == "q" { return finish(right, asked: n, missed.map(Self.summary), store) }
                verdict = q.check(line)
                if verdict == nil { print(q.format == .multipleChoice ? "answer 1–\(q.options.count)" : q.format == .trueFalse ? "answer t or f" : "type an answer") }
            }
            if verdict! { right += 1; print("✓ right") } else { missed.append(q); print("✗ the answer: " + q.answerText) }
            if let e = q.card.explain { print("  why: " + e) }
            print("")
            let stored = try store.card(deck: parsed.id, id: q.card.id)!
            let rating: Rating = verdict! ? .good : .again
            try store.record(stored, rating: rating, after: scheduler.review(stored.memory, rating: rating, at: Date()), at: Date(),
                             scheduler: scheduler.name, kind: .quiz)
        }
        let predicted = try PredictQuiz(count: predict, seed: seed, offset: asked.count, total: total, store: store, scheduler: scheduler, keyboard: keyboard).run()
        finish(right + predicted.right, asked: total, missed.map(Self.summary) + predicted.missed, store)
    }

    static func summary(_ q: QuizQuestion) -> String {
        q.card.front.replacingOccurrences(of: "\n", with: " ") + " — " + q.card.back.replacingOccurrences(of: "\n", with: " ")
    }

    func finish(_ right: Int, asked: Int, _ missed: [String], _ store: StudyStore) {
        print("Score: \(right)/\(asked)" + (asked > 0 ? String(format: " (%.0f%%)", 100 * Double(right) / Double(asked)) : ""))
        if !missed.isEmpty {
            print("Missed (they count as Again; `gradlab study` brings them back):")
            for m in missed { print("  • " + m) }
        }
        print("Results saved to \(store.path)")
    }
}
