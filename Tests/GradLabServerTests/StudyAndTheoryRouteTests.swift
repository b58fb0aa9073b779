import Foundation
import GradLab
import GradLabStudy
import HTTPTypes
import HummingbirdTesting
import XCTest
@testable import GradLabServer

/// The study pages' routes over the review store, and the phase diagram's theory.
final class StudyAndTheoryRouteTests: XCTestCase {
    func testRatingACardIsRecordedInTheReviewStoreAndUndoRemovesIt() async throws {
        let fixture = try LabFixture()
        try await fixture.test { client, cookie in
            let (_, next) = try await client.json("/api/study/next?deck=gradients", .get, cookie)
            let card = try XCTUnwrap(next["card"] as? [String: Any])
            let id = try XCTUnwrap(card["id"] as? String)
            XCTAssertEqual((next["intervals"] as? [String: String])?.count, 4)
            let (bad, badBody) = try await client.json("/api/study/rate", .post, cookie, body: #"{"deck": "gradients", "card": "\#(id)", "rating": 7}"#)
            XCTAssertEqual(bad, .badRequest)
            XCTAssertEqual(badBody["key"] as? String, "rating")
            let (ok, after) = try await client.json("/api/study/rate", .post, cookie, body: #"{"deck": "gradients", "card": "\#(id)", "rating": 3}"#)
            XCTAssertEqual(ok, .ok, "\(after)")
            let store = try StudyStore(path: fixture.studyStore)
            let reviews = try store.reviews(deck: "gradients")
            XCTAssertEqual(reviews.map(\.cardID), [id])
            XCTAssertEqual(reviews.map(\.rating), [.good])
            expectEqual(try await client.json("/api/study/undo", .post, cookie, body: #"{"deck": "gradients"}"#).0, .ok)
            XCTAssertEqual(try store.reviews(deck: "gradients").count, 0)
            expectEqual(try await client.json("/api/study/next?deck=../../etc", .get, cookie).0, .notFound)
        }
    }

    func testQuizAnswersAreMarkedAndRecorded() async throws {
        let fixture = try LabFixture()
        try await fixture.test { client, cookie in
            let (_, quiz) = try await client.json("/api/quiz?deck=gradients&n=3&seed=5", .get, cookie)
            let questions = try XCTUnwrap(quiz["questions"] as? [[String: Any]])
            XCTAssertEqual(questions.count, 3)
            let answer = questions[0]["format"] as? String == "typed" ? "no idea" : questions[0]["format"] as? String == "trueFalse" ? "t" : "1"
            let (status, marked) = try await client.json("/api/quiz/answer", .post, cookie,
                                                         body: #"{"deck": "gradients", "seed": 5, "n": 3, "index": 0, "answer": "\#(answer)"}"#)
            XCTAssertEqual(status, .ok, "\(marked)")
            XCTAssertNotNil(marked["right"] as? Bool)
            XCTAssertEqual(try StudyStore(path: fixture.studyStore).reviews(deck: "gradients").count, 1)
            expectEqual(try await client.json("/api/quiz?n=0", .get, cookie).1["key"] as? String, "n")
        }
    }

    func testPhaseDiagramHasTheCriticalLineAndPointsArePlaced() async throws {
        try await LabFixture().test { client, cookie in
            let (_, plane) = try await client.json("/api/phase?activation=tanh&depth=20", .get, cookie)
            let critical = try XCTUnwrap(plane["critical"] as? [[String: Double]])
            // tanh at σ_b² = 0 is critical at σ_w² = 1 (Poole et al. 2016), and the line rises with σ_b².
            XCTAssertEqual(critical.first?["w"] ?? 0, 1, accuracy: 0.02)
            XCTAssertGreaterThan(critical.last?["w"] ?? 0, critical.first?["w"] ?? 0)
            XCTAssertEqual((plane["trainableDepth"] as? [[Any]])?.count, (plane["ys"] as? [Double])?.count)
            let (_, ordered) = try await client.json("/api/phase/point?activation=tanh&sigma-w2=0.5&sigma-b2=0.05&depth=20", .get, cookie)
            XCTAssertEqual(ordered["phase"] as? String, "ordered")
            XCTAssertLessThan(ordered["chi1"] as? Double ?? 1, 1)
            let (_, chaotic) = try await client.json("/api/phase/point?activation=tanh&sigma-w2=4&sigma-b2=0.05&depth=20", .get, cookie)
            XCTAssertEqual(chaotic["phase"] as? String, "chaotic")
            let (bad, body) = try await client.json("/api/phase/point?sigma-w2=-1", .get, cookie)
            XCTAssertEqual(bad, .badRequest)
            XCTAssertEqual(body["key"] as? String, "sigma-w2")
        }
    }

    func testTheMenuOffersEveryControlAndPresetsThatPassTheChecks() async throws {
        try await LabFixture().test { client, cookie in
            let (_, menu) = try await client.json("/api/lab", .get, cookie)
            let keys = try XCTUnwrap(menu["keys"] as? [[String: Any]]).compactMap { $0["name"] as? String }
            XCTAssertEqual(Set(keys), Set(RunConfig.keyNames))
            for control in try XCTUnwrap(menu["controls"] as? [String]) { XCTAssertTrue(keys.contains(control), control) }
            let presets = try XCTUnwrap(menu["presets"] as? [[String: Any]])
            XCTAssertEqual(presets.compactMap { $0["name"] as? String },
                           ["vanishing: 20-layer sigmoid", "exploding: large init", "fixed by He init", "LSTM vs tanh RNN on adding"])
            for p in presets {
                for key in ["config", "compare"] {
                    guard let config = p[key] else { continue }
                    let body = String(decoding: try JSONSerialization.data(withJSONObject: ["config": config]), as: UTF8.self)
                    let (status, checked) = try await client.json("/api/check", .post, cookie, body: body)
                    XCTAssertEqual(status, .ok, "\(p["name"] ?? ""): \(checked)")
                }
            }
        }
    }
}
