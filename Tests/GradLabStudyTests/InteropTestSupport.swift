import Foundation

/// Helpers of the interop tests (Anki packages, CSV/TSV).
enum Interop {
    /// The repository's root, found from this file's path (scripts/ lives there).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A path in this test process's own temporary folder.
    static func tempPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-tests-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    /// Runs `python3 ARGS` and waits: exit status, standard output, standard error.
    static func python(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process(), out = Pipe(), err = Pipe()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + args
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// A file in the test bundle's Fixtures folder.
    static func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name).path
    }

    /// Writes `text` to a fresh temporary file named `name` and returns its path.
    static func file(_ name: String, _ text: String) throws -> String {
        let path = tempPath(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}
