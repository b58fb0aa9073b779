import Foundation
import GradLab
import GradLabDiagnostics
import GradLabReports
import GradLabStore
import Hummingbird
import HummingbirdWebSocket

/// The runs page over the run store, the same store as `gradlab runs` (SQLite or PostgreSQL): runs from the
/// browser, from `gradlab run` and from `train --record` alike. List and filter, one run's
/// records, two runs compared, and a run's HTML report (the one `gradlab report` writes).
struct StoreRoutes {
    let storeRoot: String
    /// The run store: the runs directory, or a postgres:// URL (`StoreLocation`).
    let runStore: String

    struct Detail: Encodable {
        var summary: RunSummary, metrics: [MetricRow], evals: [EvalRow], verdicts: [VerdictView], report: String?
    }
    struct Comparison: Encodable {
        struct Differing: Encodable { var key: String, values: [String?] }
        var runs: [RunSummary], differing: [Differing]
    }

    func add(to router: Router<BasicWebSocketRequestContext>) {
        let root = storeRoot, runStore = self.runStore
        router.get("/api/store/runs") { request, _ in
            let q = request.uri.queryParameters
            let filter: RunFilter
            do {
                let limit = try q["limit"].map { s -> Int in
                    guard let n = Int(s), n >= 1 else { throw GradLabError.badValue(key: "limit", value: String(s), message: "limit '\(s)' must be an integer ≥ 1") }
                    return n
                }
                filter = RunFilter(experiment: Self.nonEmpty(q["experiment"]), status: try Self.nonEmpty(q["status"]).map(RunStatus.named),
                                   config: try q.getAll("filter").filter { !$0.isEmpty }.map { try RunFilter.condition(String($0)) },
                                   nameContains: Self.nonEmpty(q["name"]), tag: Self.nonEmpty(q["tag"]), limit: limit ?? 200)
            } catch { throw APIError(badInput: error) }
            do { return JSONBody.response(["runs": try Self.open(runStore).listRuns(filter)]) } catch { throw APIError(badInput: error) }
        }
        router.get("/api/store/runs/:id") { _, context in
            let id = try Self.id(try context.parameters.require("id"))
            let store = try Self.open(runStore)
            let d: RunDetail
            do { d = try store.run(id) } catch { throw APIError(.notFound, "\(error)") }
            return JSONBody.response(Detail(summary: d.summary, metrics: d.metrics, evals: d.evals, verdicts: d.verdicts.map(VerdictView.init),
                                            report: Self.runDirectory(d, root: root) == nil ? nil : "/runs/\(id)/report"))
        }
        router.get("/api/store/compare") { request, _ in
            let ids = try (request.uri.queryParameters["ids"] ?? "").split(separator: ",").map { try Self.id(String($0)) }
            guard ids.count >= 2 else { throw APIError(.badRequest, "compare needs two or more run ids: ?ids=12,13", key: "ids") }
            let c: RunComparison
            do { c = try Self.open(runStore).compare(ids) } catch { throw APIError(.notFound, "\(error)") }
            return JSONBody.response(Comparison(runs: c.runs, differing: c.differing.map { .init(key: $0.key, values: $0.values) }))
        }
        router.get("/runs/:id/report") { _, context in
            let id = try Self.id(try context.parameters.require("id"))
            let d: RunDetail
            do { d = try Self.open(runStore).run(id) } catch { throw APIError(.notFound, "\(error)") }
            guard let dir = Self.runDirectory(d, root: root) else {
                throw APIError(.notFound, "run \(id) has no run directory to report on (it was recorded by train --record); see gradlab runs show \(id)")
            }
            let run: StoredRun
            do { run = try StoredRun.load(dir) } catch { throw APIError(.notFound, "\(error)") }
            let html = RunReport.html([run], title: "GradLab run \(id): \(d.summary.name)")
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
        }
    }

    /// The run's directory, from the config file the store points at (runs written by `gradlab
    /// run` and by the web lab have one).
    static func runDirectory(_ d: RunDetail, root: String) -> String? {
        guard let config = d.artifacts.first(where: { $0.kind == "config" }) else { return nil }
        let path = config.path.hasPrefix("/") ? config.path : (root as NSString).appendingPathComponent(config.path)
        let dir = (path as NSString).deletingLastPathComponent
        return FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent("metrics.jsonl")) ? dir : nil
    }

    static func open(_ store: String) throws -> any RunStore {
        do { return try StoreLocation.parse(store).open() } catch { throw APIError(.internalServerError, "the run store cannot be opened: \(error)") }
    }

    static func id(_ s: String) throws -> RunID {
        guard let id = RunID(s), id > 0 else { throw APIError(.badRequest, "run id '\(s)' must be a positive integer (gradlab runs lists them)", key: "id") }
        return id
    }

    static func nonEmpty(_ s: Substring?) -> String? { s.flatMap { $0.isEmpty ? nil : String($0) } }
}
