import XCTest
import Foundation
import GradLab

/// Output paths are checked before any work, with one line naming the flag, and a failed write
/// leaves no temporary file behind.
final class OutputPathTests: XCTestCase {
    func scratch() throws -> String {
        let dir = tempPath("outputs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func message(_ o: OutputPath) -> String? {
        do { try o.check(); return nil } catch { return "\(error)" }
    }

    func testEachKindOfBadPathIsNamed() throws {
        let dir = try scratch(), file = (dir as NSString).appendingPathComponent("a.txt")
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(message(.file(dir, option: "--out")).map { $0.hasPrefix("--out \(dir) is a directory") }, true)
        XCTAssertEqual(message(.directory(file, option: "--out")).map { $0.hasPrefix("--out \(file) is a file, not a directory") }, true)
        XCTAssertEqual(message(.file(file + "/deeper/x.html", option: "--out")).map { $0.contains("\(file) is a file, not a directory") }, true)
        // Fine: a new file, an existing file (replaced), a new folder under missing ones, an existing folder.
        for ok in [OutputPath.file(dir + "/new.html"), .file(file), .directory(dir + "/a/b/c"), .directory(dir)] {
            XCTAssertNil(message(ok), ok.path)
        }
        if geteuid() != 0 {   // permissions do not bind the superuser
            let locked = (dir as NSString).appendingPathComponent("locked")
            try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o500])
            defer { try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: locked) }
            XCTAssertEqual(message(.file(locked + "/x.svg", option: "--output")).map { $0.contains("not writable") }, true)
        }
    }

    func testAFailedWriteLeavesNoTemporaryFile() throws {
        let dir = try scratch(), target = (dir as NSString).appendingPathComponent("report.html")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        XCTAssertThrowsError(try atomicWrite(Data("x".utf8), to: target)) { XCTAssertTrue("\($0)".contains("is a directory"), "\($0)") }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["report.html"])
    }

    /// `repair --out <file>` used to train in full and then fail with a Foundation error dump;
    /// `phase`/`report --out <dir>` failed with `errno 21` and left a temporary file.
    func testCommandsRefuseABadOutputBeforeWorking() throws {
        guard FileManager.default.fileExists(atPath: gradlabBinary.path) else { throw XCTSkip("gradlab executable not built") }
        let dir = try scratch(), file = (dir as NSString).appendingPathComponent("taken")
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        let started = Date()
        let repair = try runGradlab(["repair", "--data", "digits", "--depth", "12", "--activation", "sigmoid", "--steps", "300", "--out", file])
        XCTAssertEqual(repair.status, 2, repair.out + repair.err)
        XCTAssertFalse(repair.out.contains("diagnosing"), "trained before checking the output: \(repair.out)")
        XCTAssertEqual(repair.err, "error: --out \(file) is a file, not a directory; give a directory path or move the file away\n")
        XCTAssertLessThan(Date().timeIntervalSince(started), 30)
        for args in [["phase", "--output", dir], ["report", "--out", dir, dir]] {
            let r = try runGradlab(args)
            XCTAssertEqual(r.status, 2, r.out + r.err)
            XCTAssertTrue(r.err.hasPrefix("error: --out\(args[0] == "phase" ? "put" : "") \(dir) is a directory"), r.err)
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: (dir as NSString).deletingLastPathComponent).filter { $0.contains(".tmp-") }, [])
        }
        let train = try runGradlab(["train", "--data", "xor", "--steps", "5", "--no-progress", "--metrics-json", dir, "--tensorboard", file + "/tb"])
        XCTAssertEqual(train.status, 2, train.out + train.err)
        XCTAssertFalse(train.out.contains("training"), train.out)
        XCTAssertTrue(train.err.contains("--metrics-json \(dir) is a directory"), train.err)
    }
}
