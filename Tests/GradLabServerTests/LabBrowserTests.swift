import Foundation
import XCTest

/// The end-to-end check in a real headless Chromium, driven by Selenium (Tests/e2e/lab_e2e.py):
/// the vanishing preset, its verdict and heat map, the He-init fix, and a card rated in the
/// browser landing in the review store. Screenshots go to .build/lab-e2e/.
final class LabBrowserTests: XCTestCase {
    func testTheLabInARealBrowser() throws {
        guard let server = serverBinary else { throw XCTSkip("gradlab-server is not built beside the tests") }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let artifacts = root.appendingPathComponent(".build/lab-e2e").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", root.appendingPathComponent("Tests/e2e/lab_e2e.py").path, "--server", server.path, "--artifacts", artifacts]
        let out = Pipe()
        p.standardOutput = out; p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        print(text)
        if p.terminationStatus == 77 {
            throw XCTSkip(text.split(separator: "\n").first { $0.hasPrefix("SKIP") }.map(String.init) ?? "the browser test skipped")
        }
        XCTAssertEqual(p.terminationStatus, 0, "the browser test failed (screenshots and console log in \(artifacts)):\n\(text)")
    }
}
