import Foundation
import GradLab
import GradLabStudy
import Hummingbird
import HummingbirdWebSocket

/// The study pages' routes: flashcards (next, rate, undo), a card's experiment run live, the quiz
/// and predict-then-run questions whose run the page watches. Anything slow (an experiment's
/// claim check, a prediction's measurement) runs off the server's event loop.
struct StudyRoutes {
    let desk: StudyDesk
    let hub: RunHub
    let storeRoot: String
    let runStore: String

    struct DeckRequest: Decodable { var deck: String? }
    struct RateRequest: Decodable { var deck: String?; var card: String, rating: Int }
    struct CardRequest: Decodable { var deck: String?; var card: String }
    struct QuizAnswer: Decodable { var deck: String?; var seed: UInt64; var n: Int?; var index: Int, answer: String }
    struct PredictAnswer: Decodable { var seed: UInt64, answer: String }
    struct Experiment: Encodable { var runs: [RunState], claim: String? }
    struct Checks: Encodable {
        struct Check: Encodable { var line: String, holds: Bool }
        var summary: String, checks: [Check], holds: Bool
    }
    struct Question: Encodable { var card: String, format: String, prompt: String, options: [String] }
    struct Marked: Encodable { var right: Bool, answer: String, explain: String? }
    struct Predict: Encodable { var id: String, seed: UInt64, prompt: String, options: [String], typed: Bool }
    struct Predicted: Encodable { var right: Bool, answer: String, result: String, runs: [RunState] }

    func add(to router: Router<BasicWebSocketRequestContext>) {
        let desk = self.desk, hub = self.hub, storeRoot = self.storeRoot, runStore = self.runStore, limit = hub.limits.bodyBytes
        router.get("/api/study/decks") { _, _ in JSONBody.response(["decks": desk.deckList]) }
        router.get("/api/study/next") { request, _ in
            JSONBody.response(try desk.next(deck: request.uri.queryParameters["deck"].map(String.init)))
        }
        router.post("/api/study/rate") { request, _ in
            let r = try await JSONBody.decode(RateRequest.self, request, limit: limit, shape: #"{"deck": "gradients", "card": ID, "rating": 1–4}"#)
            return JSONBody.response(try desk.rate(deck: r.deck, card: r.card, rating: r.rating))
        }
        router.post("/api/study/undo") { request, _ in
            let r = try await JSONBody.decode(DeckRequest.self, request, limit: limit, shape: #"{"deck": "gradients"}"#)
            return JSONBody.response(try desk.undo(deck: r.deck))
        }
        router.post("/api/study/experiment") { request, _ in
            let r = try await JSONBody.decode(CardRequest.self, request, limit: limit, shape: #"{"deck": "gradients", "card": ID}"#)
            let card = try Self.card(desk, r.deck, r.card)
            guard let text = card.experiment else { throw APIError(.badRequest, "card \(card.id) has no experiment", key: "card") }
            let spec: ExperimentSpec
            do { spec = try ExperimentSpec.parse(text) } catch { throw APIError(badInput: error) }
            let runs = try spec.runs.filter(\.trains).map { run in
                try hub.submit(kind: .train, config: try hub.limits.config(run.config.values), job: TrainJob(storeRoot: storeRoot, runStore: runStore)).state
            }
            return JSONBody.response(Experiment(runs: runs, claim: card.claim))
        }
        router.get("/api/study/experiment/result") { request, _ in
            let q = request.uri.queryParameters
            let card = try Self.card(desk, q["deck"].map(String.init), String(q["card"] ?? ""))
            guard let text = card.experiment else { throw APIError(.badRequest, "card \(card.id) has no experiment", key: "card") }
            let outcome = try await JSONBody.offLoop {
                try CardExperiment.run(experiment: text, claim: card.claim, version: GradLabVersion.string, cacheDirectory: desk.cacheDirectory)
            }
            return JSONBody.response(Checks(summary: outcome.summary, checks: outcome.checks.map { .init(line: $0.line, holds: $0.holds) }, holds: outcome.holds))
        }
        router.get("/api/quiz") { request, _ in
            let q = request.uri.queryParameters
            let deck = try desk.deck(q["deck"].map(String.init))
            let (seed, n) = try Self.quizArguments(q["seed"], q["n"])
            let questions: [QuizQuestion]
            do { questions = try QuizMaker.make(deck: deck, count: n, seed: seed) } catch { throw APIError(badInput: error) }
            return JSONBody.response(["questions": questions.map { Question(card: $0.card.id, format: $0.format.rawValue, prompt: $0.prompt, options: $0.options) }])
        }
        router.post("/api/quiz/answer") { request, _ in
            let a = try await JSONBody.decode(QuizAnswer.self, request, limit: limit, shape: #"{"deck", "seed", "n", "index", "answer"}"#)
            let deck = try desk.deck(a.deck)
            let questions: [QuizQuestion]
            do { questions = try QuizMaker.make(deck: deck, count: a.n ?? 10, seed: a.seed) } catch { throw APIError(badInput: error) }
            guard questions.indices.contains(a.index) else { throw APIError(.badRequest, "question \(a.index) is not in this quiz (0…\(questions.count - 1))", key: "index") }
            let question = questions[a.index]
            guard let right = question.check(a.answer) else {
                throw APIError(.badRequest, question.format == .multipleChoice ? "answer 1–\(question.options.count)" : question.format == .trueFalse ? "answer t or f" : "type an answer", key: "answer")
            }
            try desk.record(deck: deck, card: question.card.id, right: right, kind: .quiz)
            return JSONBody.response(Marked(right: right, answer: question.answerText, explain: question.card.explain))
        }
        router.get("/api/predict") { request, _ in
            let (seed, _) = try Self.quizArguments(request.uri.queryParameters["seed"], nil)
            let question = PredictionGenerator.question(seed: seed)
            return JSONBody.response(Predict(id: "p\(seed)", seed: seed, prompt: question.prompt, options: question.answers.map(\.text),
                                             typed: question.template == .magnitude))
        }
        router.post("/api/predict/answer") { request, _ in
            let a = try await JSONBody.decode(PredictAnswer.self, request, limit: limit, shape: #"{"seed": N, "answer": "2"}"#)
            let question = PredictionGenerator.question(seed: a.seed)
            guard let answer = question.answer(from: a.answer) else {
                throw APIError(.badRequest, "answer with an option's number" + (question.template == .magnitude ? ", or an exponent such as -3" : ""), key: "answer")
            }
            // The settings train live for the page's heat maps while the question is measured.
            let runs = try question.settings.map { s in
                try hub.submit(kind: .train, config: try hub.limits.config(s.config(steps: 200).values), job: TrainJob(storeRoot: storeRoot, runStore: runStore)).state
            }
            let result = try await JSONBody.offLoop { try question.evaluate(learner: answer) }
            try desk.record(deck: PredictionTemplate.deck, card: question.cardID, right: result.learnerScore == 1, kind: .predict)
            return JSONBody.response(Predicted(right: result.learnerScore == 1, answer: result.measured.text, result: result.text, runs: runs))
        }
    }

    static func card(_ desk: StudyDesk, _ deckID: String?, _ id: String) throws -> Card {
        let deck = try desk.deck(deckID)
        guard let card = deck.cards.first(where: { $0.id == id }) else { throw APIError(.notFound, "no card '\(id)' in deck \(deck.id)", key: "card") }
        return card
    }

    static func quizArguments(_ seed: Substring?, _ n: Substring?) throws -> (UInt64, Int) {
        let s = try seed.map { s -> UInt64 in
            guard let v = UInt64(s) else { throw APIError(.badRequest, "seed '\(s)' must be a non-negative integer", key: "seed") }
            return v
        } ?? UInt64(Date().timeIntervalSince1970)
        let count = try n.map { s -> Int in
            guard let v = Int(s), (1...100).contains(v) else { throw APIError(.badRequest, "n '\(s)' must be an integer in 1…100", key: "n") }
            return v
        } ?? 10
        return (s, count)
    }
}
