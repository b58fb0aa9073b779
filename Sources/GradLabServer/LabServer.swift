import Foundation
import GradLab
import GradLabStudy
import Hummingbird
import HummingbirdWebSocket
import Logging
import ServiceLifecycle

/// The web lab: pages, JSON routes and live WebSockets over the engine, the run store and the
/// review store, behind the token and Host/Origin checks. `run()` serves until SIGINT or SIGTERM,
/// then shuts down in order: live runs are interrupted first (checkpointed, recorded as
/// `interrupted`, their watchers told), then the server stops.
public final class LabServer: Sendable {
    public struct Options: Sendable {
        public var host = "127.0.0.1", port = 8600
        /// The runs directory (runs.sqlite inside, and the browser's run folders under `web/`).
        public var store = "runs"
        /// The run store when it is not the runs directory's runs.sqlite: a postgres:// URL.
        public var runStore: String?
        /// The review store of the study pages, as `gradlab study --store` (nil: its default).
        public var studyStore: String?
        public var webRoot: String?
        public var token: String?
        public init(studyStore: String? = nil) { self.studyStore = studyStore }
    }

    /// Host names that reach this machine only.
    public static let loopbackNames: Set<String> = ["127.0.0.1", "localhost", "::1"]
    public static func isLoopback(_ host: String) -> Bool { loopbackNames.contains(host.lowercased()) || host.hasPrefix("127.") }

    let options: Options
    let policy: AccessPolicy
    let hub: RunHub
    let desk: StudyDesk
    let webRoot: String

    public init(_ options: Options) throws {
        self.options = options
        let names = Self.isLoopback(options.host) ? Self.loopbackNames.union([options.host]) : [options.host]
        policy = AccessPolicy(token: options.token ?? AccessPolicy.randomToken(), hostnames: names)
        hub = RunHub(limits: LabLimits())
        try FileManager.default.createDirectory(atPath: options.store, withIntermediateDirectories: true)
        desk = try StudyDesk(storePath: options.studyStore ?? StudyStore.defaultPath)
        guard let root = options.webRoot ?? PageRoutes.builtIn, FileManager.default.fileExists(atPath: (root as NSString).appendingPathComponent("lab.html")) else {
            throw GradLabError.invalid("the web lab's pages are missing (no lab.html in \(options.webRoot ?? "the built-in resources")); rebuild gradlab-server or pass --web-root DIR")
        }
        webRoot = root
    }

    /// The address to open: with the token, so the browser gets its cookie.
    public func url(port: Int) -> String {
        let host = options.host.contains(":") ? "[\(options.host)]" : options.host
        return "http://\(host):\(port)/?token=\(policy.token)"
    }

    func router() -> Router<BasicWebSocketRequestContext> {
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.middlewares.add(AccessGuard(policy: policy))
        PageRoutes(webRoot: webRoot).add(to: router)
        let runStore = options.runStore ?? options.store
        RunRoutes(hub: hub, storeRoot: options.store, runStore: runStore).add(to: router)
        TheoryRoutes().add(to: router)
        StoreRoutes(storeRoot: options.store, runStore: runStore).add(to: router)
        StudyRoutes(desk: desk, hub: hub, storeRoot: options.store, runStore: runStore).add(to: router)
        return router
    }

    func application(onReady: @escaping @Sendable (Int) -> Void) -> some ApplicationProtocol {
        let router = router()
        let policy = self.policy
        var logger = Logger(label: "gradlab-server")
        logger.logLevel = .warning
        return Application(router: router, server: .http1WebSocketUpgrade(webSocketRouter: router),
                           configuration: .init(address: .hostname(options.host, port: options.port), serverName: "GradLab"),
                           onServerRunning: { channel in
                               let port = channel.localAddress?.port ?? 0
                               policy.port = port
                               onReady(port)
                           }, logger: logger)
    }

    /// Serves until SIGINT/SIGTERM; `onReady` gets the bound port (`port 0` picks a free one).
    public func run(onReady: @escaping @Sendable (Int) -> Void) async throws {
        var logger = Logger(label: "gradlab-server")
        logger.logLevel = .warning
        // Shut down in reverse order: the runs first, while their watchers are still connected.
        let group = ServiceGroup(configuration: .init(services: [application(onReady: onReady), RunsService(hub: hub)],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Interrupts the live runs when the server is asked to shut down, and waits until each has
/// checkpointed and written its records.
struct RunsService: Service {
    let hub: RunHub
    func run() async throws {
        try? await gracefulShutdown()
        let hub = self.hub
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread { hub.interruptAll(); done.resume() }.start()
        }
        // Let each open live view send its run's last events before the server closes them.
        try? await Task.sleep(for: RunRoutes.messageInterval * 3)
    }
}
