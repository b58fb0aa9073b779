import ArgumentParser
import Foundation
import GradLab

/// `gradlab serve`: starts the web lab, a separate executable (`gradlab-server`) built beside this
/// one, so the demo's build does not pay for the server stack. Its arguments pass through.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the web lab (gradlab serve --help lists its options).",
        discussion: """
        The web lab is its own product: build it once with
          swift build -c release --product gradlab-server
        then `gradlab serve` starts it (the options are the server's: --port, --host, --store, --dir, --open).
        """,
        helpNames: [])   // --help passes through: the server lists its own options

    @Argument(parsing: .allUnrecognized, help: "Options for the server (--port, --host, --store, --dir, --study-store, --open).") var arguments: [String] = []

    static let product = "gradlab-server"

    func run() throws {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let candidates = [me.deletingLastPathComponent().appendingPathComponent(Self.product).path,
                          Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent(Self.product).path].compactMap { $0 }
        guard let server = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw GradLabError.invalid("the web lab is not built yet (it is its own product, to keep the demo's build lean): run swift build -c release --product gradlab-server, then gradlab serve again")
        }
        // Replace this process, so Ctrl-C and SIGTERM reach the server directly.
        let argv = [server] + arguments
        var cArgs = argv.map { strdup($0) } + [nil]
        execv(server, &cArgs)
        throw GradLabError.io("could not start \(server): \(String(cString: strerror(errno)))")
    }
}
