import XCTest
import GRDB
@testable import GradLabStudy
#if canImport(Glibc)
import Glibc
#endif

/// The `gradlab` executable built beside the tests.
let gradlabBinary: URL = {
    var dir = Bundle.module.bundleURL
    while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("gradlab").path), dir.path != "/" { dir.deleteLastPathComponent() }
    return dir.appendingPathComponent("gradlab")
}()

/// Runs `gradlab` with stdin from `input`: exit status, stdout, stderr.
func runGradlab(_ args: [String], input: String = "") throws -> (status: Int32, out: String, err: String) {
    let p = Process(), inp = Pipe(), out = Pipe(), err = Pipe()
    p.executableURL = gradlabBinary; p.arguments = args
    p.standardInput = inp; p.standardOutput = out; p.standardError = err
    try p.run()
    inp.fileHandleForWriting.write(Data(input.utf8))
    try inp.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

func writeDeck(_ text: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deck-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent("three.md").path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

final class StudyCLITests: XCTestCase {
    let three = "first :: one\nsecond :: two\nthird :: three\n"

    /// Without a TTY: flip, rate, undo, quit, one command per line; then the store is checked.
    func testScriptedSessionWithoutATerminal() throws {
        let deck = try writeDeck(three), store = temporaryStorePath()
        // flip+good, flip+again, undo (takes back "again"), flip+easy, quit.
        let r = try runGradlab(["study", deck, "--store", store, "--no-fuzz"], input: "\n3\n\n1\nu\n\n4\nq\n")
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("studied 2 cards; 2 left today"), r.out)   // "first" is back in 10 min (a learning step)
        XCTAssertTrue(r.out.contains("left today 3 · done 0"), r.out)
        let s = try StudyStore(path: store)
        let log = try s.reviews()
        XCTAssertEqual(log.map(\.rating), [.good, .easy])
        XCTAssertEqual(log.map(\.cardID), [CardID.derived(from: "first"), CardID.derived(from: "second")])
        XCTAssertEqual(try s.integrityCheck(), "ok")
        XCTAssertEqual(try s.newCards(deck: "three", limit: 9).map(\.card.front), ["third"])
    }

    /// In a pseudo-terminal: single keys, drawn in place, and the terminal restored at the end.
    func testSessionInAPseudoTerminal() throws {
        let deck = try writeDeck(three), store = temporaryStorePath()
        var master: Int32 = 0, slave: Int32 = 0
        XCTAssertEqual(openpty(&master, &slave, nil, nil, nil), 0)
        let p = Process()
        p.executableURL = gradlabBinary
        p.arguments = ["study", deck, "--store", store, "--no-fuzz"]
        let tty = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        p.standardInput = tty; p.standardOutput = tty; p.standardError = tty
        try p.run()
        close(slave)
        var screen = ""
        func readUntil(_ text: String) {
            let deadline = Date().addingTimeInterval(20)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !screen.contains(text), Date() < deadline {
                var fds = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                guard poll(&fds, 1, 200) > 0 else { continue }
                let n = read(master, &buffer, buffer.count)
                if n <= 0 { break }
                screen += String(decoding: buffer[0..<n], as: UTF8.self)
            }
        }
        func key(_ k: String, then expect: String) {
            screen = ""
            _ = k.withCString { write(master, $0, strlen($0)) }
            readUntil(expect)
            XCTAssertTrue(screen.contains(expect), "after \(k.debugDescription): \(screen.debugDescription)")
        }
        readUntil("first")
        XCTAssertTrue(screen.contains("\u{1B}[?1049h"), "alternate screen")   // drawn in place
        key(" ", then: "one")
        key("3", then: "second")
        key(" ", then: "two")
        key("2", then: "third")
        key("u", then: "second")
        key(" ", then: "two")
        key("4", then: "third")
        key("q", then: "studied 2 cards")
        XCTAssertTrue(screen.contains("\u{1B}[?1049l"), "the terminal is restored")
        p.waitUntilExit()
        close(master)
        XCTAssertEqual(p.terminationStatus, 0)
        XCTAssertEqual(try StudyStore(path: store).reviews().map(\.rating), [.good, .easy])
    }

    /// A study process killed with SIGKILL mid-session: the store opens, passes integrity_check,
    /// and holds every rating the process had shown as done.
    func testSIGKILLMidSessionLosesNoCommittedRating() throws {
        let deck = try writeDeck((1...400).map { "q\($0) :: a\($0)" }.joined(separator: "\n"))
        for round in 0..<3 {
            let store = temporaryStorePath()
            let p = Process(), inp = Pipe(), out = Pipe()
            p.executableURL = gradlabBinary
            p.arguments = ["study", deck, "--store", store, "--new-per-day", "400", "--reviews-per-day", "1000", "--no-fuzz"]
            p.standardInput = inp; p.standardOutput = out; p.standardError = FileHandle.nullDevice
            try p.run()
            let feeder = Thread { for _ in 0..<400 { try? inp.fileHandleForWriting.write(contentsOf: Data("\n3\n".utf8)) } }
            feeder.start()
            var seen = ""
            let reader = out.fileHandleForReading
            let deadline = Date().addingTimeInterval(30)
            let target = 20 + 15 * round
            while Date() < deadline {
                seen += String(decoding: reader.availableData, as: UTF8.self)
                if let done = Self.lastDone(seen), done >= target { break }
            }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            seen += String(decoding: reader.availableData, as: UTF8.self)
            let shown = try XCTUnwrap(Self.lastDone(seen))
            let s = try StudyStore(path: store)
            XCTAssertEqual(try s.integrityCheck(), "ok")
            let reviews = try s.reviews().count
            XCTAssertGreaterThanOrEqual(reviews, shown)
            XCTAssertLessThanOrEqual(reviews, shown + 1)   // at most the rating being written when killed
        }
    }

    static func lastDone(_ text: String) -> Int? {
        guard let r = text.range(of: "· done ", options: .backwards) else { return nil }
        return Int(text[r.upperBound...].prefix { $0.isNumber })
    }

    func testBadDeckIsOneLineWithLineAndColumnAndExit2() throws {
        let deck = try writeDeck("ok :: fine\nbroken ::\n")
        let store = temporaryStorePath()
        let r = try runGradlab(["study", deck, "--store", store])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.err, "error: \(deck):2:10: no answer after '::' — write the answer on the right of '::'\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: store), "nothing half-imported")
    }

    func testDeckMakeWritesADeckAndReportsSkips() throws {
        let notes = try writeDeck("# Terms\n\nGradient: the vector of partial derivatives.\n\nNothing to ask here.\n")
        let out = (notes as NSString).deletingLastPathComponent + "/made.md"
        let r = try runGradlab(["deck", "make", notes, "-o", out])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("+ line 3: definition — Gradient :: the vector of partial derivatives."), r.out)
        XCTAssertTrue(r.out.contains("- line 5: no definition"), r.out)
        XCTAssertEqual(try DeckParser.load(path: out).cards.map(\.front), ["Gradient"])
    }

    func testQuizScoresRecordsAndListsMissed() throws {
        let deck = try writeDeck("# S\nalpha :: one\ndistractors: two | three | four\nbeta :: two\ndistractors: one | three | four\n")
        let store = temporaryStorePath()
        // Answer every question wrongly: no response ever matches "zzz", so each is asked again
        // until a valid answer; give "q" to stop after the first is answered wrong.
        let quiz = try runGradlab(["quiz", deck, "--questions", "2", "--seed", "5", "--store", store], input: "")
        XCTAssertEqual(quiz.status, 0, quiz.err)
        XCTAssertTrue(quiz.out.contains("Score: 0/0"), quiz.out)
        let qs = try QuizMaker.make(deck: try DeckParser.load(path: deck), count: 2, seed: 5)
        let answers = qs.map { q -> String in
            switch q.format {
            case .multipleChoice: return "\(q.correct + 1)"
            case .trueFalse: return q.correct == 0 ? "f" : "t"      // wrong on purpose
            case .typed: return q.card.back
            }
        }
        let r = try runGradlab(["quiz", deck, "--questions", "2", "--seed", "5", "--store", store], input: answers.joined(separator: "\n") + "\n")
        XCTAssertEqual(r.status, 0, r.err)
        let expectRight = qs.filter { $0.format != .trueFalse }.count
        XCTAssertTrue(r.out.contains("Score: \(expectRight)/2"), r.out)
        let log = try StudyStore(path: store).reviews()
        XCTAssertEqual(log.map(\.rating), qs.map { $0.format == .trueFalse ? .again : .good })
        XCTAssertEqual(Set(log.map(\.kind)), [.quiz])
    }

    /// Every bad flag or file of the study commands: one line naming the problem and the fix, exit 2,
    /// and no store created.
    func testBadInputIsOneLineAndExit2() throws {
        let store = temporaryStorePath()
        let cases: [([String], String)] = [
            (["study", "--retention", "2"], "error: desired retention 2.0 must be strictly between 0 and 1"),
            (["study", "--scheduler", "foo"], "error: unknown scheduler 'foo' — use fsrs or sm2"),
            (["study", "--new-per-day", "-3"], "error: --new-per-day -3 is negative — give 0 or more"),
            (["study", "no-such-deck.md"], "error: cannot read deck 'no-such-deck.md': no such file — check the path"),
            (["quiz", "--questions", "0"], "error: --questions 0: ask for at least 1 question"),
            (["quiz", "--predict", "-1"], "error: --predict -1 is negative — give 0 or more"),
            (["study", "stats", "--days", "0"], "error: --days 0: give at least 1 day"),
            (["deck", "export", "gradients"], "error: say where to write: --apkg OUT.apkg, --csv OUT.csv or --tsv OUT.tsv"),
            (["deck", "import", "notes.md", "-o", "x.md"], "error: notes.md: not a card file GradLab imports"),
        ]
        for (args, message) in cases {
            let r = try runGradlab(args + (args.first == "deck" ? [] : ["--store", store]))
            XCTAssertEqual(r.status, 2, "\(args)")
            XCTAssertTrue(r.err.hasPrefix(message), "\(args): \(r.err)")
            XCTAssertEqual(r.err.filter { $0 == "\n" }.count, 1, "\(args): one line")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: store), "no store made for bad input")
    }
}
