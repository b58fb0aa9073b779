import ArgumentParser
import Foundation
import GradLab
import GradLabServer
import GradLabStore

/// Parses and serves; any bad input becomes one line on stderr and exit code 2, as in `gradlab`.
@main
enum ServerMain {
    static func main() async {
        setvbuf(stdout, nil, _IOLBF, 0)
        do {
            var command = try ServeCommand.parseAsRoot()
            if var serve = command as? ServeCommand { try await serve.run() } else { try command.run() }
        } catch let error as GradLabError {
            fail(error.description)
        } catch {
            let code = ServeCommand.exitCode(for: error)
            if code == .success || error is CleanExit { ServeCommand.exit(withError: error) }
            let first = ServeCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            fail("\(first) (see 'gradlab serve --help')")
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        exit(2)
    }
}

/// `gradlab serve` (this executable; `gradlab serve` starts it): the web lab on a loopback port.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradlab serve",
        abstract: "The web lab: build a network in the browser, watch its gradients live, repair it, study.",
        discussion: """
        Prints a URL with a random token (as Jupyter does): open it; the browser keeps the token in a
        cookie. Runs started in the page are ordinary stored runs (gradlab runs lists them). Ctrl-C
        stops the server: live runs are checkpointed and recorded as interrupted.
        Examples:
          gradlab serve
          gradlab serve --port 8601 --store runs --open
        """)

    @Option(help: "Port to listen on (0: any free port).") var port = 8600
    @Option(help: "Address to listen on. Anything but loopback lets other machines reach the lab (a warning is printed).") var host = "127.0.0.1"
    @Option(help: "The run store: a runs directory (runs.sqlite inside), shared with gradlab runs and gradlab run, or postgres://user@host:5432/db (default: GRADLAB_STORE, else runs).") var store: String?
    @Option(help: "Runs directory for the browser's run folders when --store is a postgres:// URL.") var dir = "runs"
    @Option(name: .customLong("study-store"), help: "The review store of the study pages (as gradlab study --store).") var studyStore: String?
    @Flag(help: "Open the lab in the default browser.") var open = false
    @Option(name: .customLong("web-root"), help: "Serve the pages from this folder instead of the built-in copy (to edit the front end without rebuilding).")
    var webRoot: String?
    @Argument(help: .hidden) var words: [String] = []

    func run() async throws {
        // `gradlab-server serve …` and `gradlab-server …` are the same command.
        guard words.isEmpty || words == ["serve"] else { throw ValidationError("unexpected argument '\(words.first { $0 != "serve" }!)'; see gradlab serve --help") }
        guard (0...65_535).contains(port) else { throw ValidationError("--port \(port) must be in 0…65535 (0: any free port)") }
        let location = try StoreLocation.resolve(store)
        let runsDirectory = location.directory ?? dir
        try OutputPath.directory(runsDirectory, option: location.directory == nil ? "--dir" : "--store").check()
        if case .postgres = location { _ = try location.open() }   // a bad address fails now, in one line
        if let studyStore { try OutputPath.file(studyStore, option: "--study-store").check() }
        var options = LabServer.Options(studyStore: studyStore)
        options.host = host; options.port = port; options.store = runsDirectory; options.webRoot = webRoot
        if case .postgres = location { options.runStore = location.argument }
        let server: LabServer
        do { server = try LabServer(options) } catch let e as GradLabError { throw ValidationError(e.description) }
        if !LabServer.isLoopback(host) {
            FileHandle.standardError.write(Data("warning: listening on \(host), not loopback: other machines can reach the lab; the token is its only guard and traffic is not encrypted\n".utf8))
        }
        let open = self.open
        do {
            try await server.run { bound in
                let url = server.url(port: bound)
                print("GradLab web lab: \(url)")
                print("runs are recorded in \(location)\(location.directory == nil ? " (run folders in \(runsDirectory))" : ""); Ctrl-C stops the server (live runs are checkpointed)")
                fflush(stdout)
                if open { Browser.open(url) }
            }
        } catch where "\(error)".contains("in use") {
            throw ValidationError("port \(port) on \(host) is in use; pick another with --port, or --port 0 for any free one")
        } catch where "\(error)".contains("bind") || "\(error)".contains("resolve") {
            throw ValidationError("cannot listen on \(host):\(port) (\(error)); check --host and --port")
        }
        print("web lab stopped")
    }
}

enum Browser {
    static func open(_ url: String) {
        let p = Process()
        #if os(macOS)
        p.executableURL = URL(fileURLWithPath: "/usr/bin/open")
        #else
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env"); p.arguments = ["xdg-open"]
        #endif
        p.arguments = (p.arguments ?? []) + [url]
        do { try p.run() } catch { print("could not open a browser (\(error)); open the URL above") }
    }
}
