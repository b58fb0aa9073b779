#if PostgreSQL
import XCTest
import Foundation
import GradLab
import GradLabDiagnostics
import GradLabStore
import GradLabTestSupport

/// Sweeps across processes on a real PostgreSQL, with faults: a worker killed with SIGKILL
/// mid-point and the server restarted mid-sweep. Every point is done exactly once, and its
/// metrics and verdicts are bit-identical to a one-worker run of the same sweep.
final class ClusterFaultTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: gradlabBinary.path) else { throw XCTSkip("gradlab executable not built") }
        root = tempPath("cluster-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func sweep(points: Int, steps: Int) throws -> String {
        let path = root + "/sweep.yaml"
        let widths = (0..<points).map { "\(8 + $0)" }.joined(separator: ", ")
        try "name: fault\nbase: {data: circles, samples: 512, depth: 4, steps: \(steps), batch: 32, eval-every: 100}\nsweep:\n  grid: {width: [\(widths)]}\nprobe: {every: 10}\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func start(_ args: [String], log: String, environment: [String: String] = [:]) throws -> Process {
        let p = Process()
        p.executableURL = gradlabBinary; p.arguments = args
        FileManager.default.createFile(atPath: log, contents: nil)
        let h = try XCTUnwrap(FileHandle(forWritingAtPath: log))
        p.standardOutput = h; p.standardError = h
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        try p.run()
        return p
    }

    func wait(_ ps: [Process], seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while ps.contains(where: \.isRunning) && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        for p in ps where p.isRunning { p.terminate() }
    }

    func testKilledWorkerAndRestartedServerLoseNothing() throws {
        let server = try PostgresTestServer.shared()
        let url = try server.freshDatabase("fault")
        let file = try sweep(points: 24, steps: 400)
        let shared = root + "/shared"

        // The reference: the same sweep in one worker process, on the local SQLite store.
        let ref = try runGradlab(["run", file, "--dir", root + "/ref", "--workers", "1", "--no-progress"])
        XCTAssertEqual(ref.status, 0, ref.err)

        let enqueue = try runGradlab(["run", file, "--store", url.full, "--dir", shared, "--enqueue"])
        XCTAssertEqual(enqueue.status, 0, enqueue.err)
        XCTAssertTrue(enqueue.out.contains("queued 24 points"), enqueue.out)
        let workers = try (0..<3).map {
            try start(["worker", "--store", url.full, "--dir", shared, "--lease", "2", "--checkpoint-every", "40"], log: root + "/worker\($0).log")
        }

        // SIGKILL a worker once the point it runs has a checkpoint on disk.
        let queue = try PostgresSweepQueue(url)
        var victim: Process?, victimPoint = ""
        let deadline = Date().addingTimeInterval(60)
        while victim == nil && Date() < deadline {
            for p in try queue.points(experiment: "fault") where p.state == .running {
                let checkpoint = RunDirectory(shared + "/" + p.point.directory).file(.checkpoint)
                guard FileManager.default.fileExists(atPath: checkpoint),
                      let owner = try server.psql("SELECT worker FROM sweep_points WHERE experiment = 'fault' AND point_index = \(p.point.index) AND state = 'running'", database: url)
                        .split(separator: ":").dropFirst().first.flatMap({ Int32($0) }),
                      let w = workers.first(where: { $0.processIdentifier == owner }) else { continue }
                kill(w.processIdentifier, SIGKILL)
                victim = w; victimPoint = p.point.name
                break
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let killed = try XCTUnwrap(victim, "no worker was caught mid-point")

        // Restart the server while the other two run: their connections are cut mid-sweep.
        while try queue.status(experiment: "fault").experiments.first.map({ $0.done < 14 }) ?? true, Date() < deadline.addingTimeInterval(60) {
            Thread.sleep(forTimeInterval: 0.05)
        }
        try server.restart()

        let survivors = workers.filter { $0 !== killed }
        wait(survivors, seconds: 240)
        for (i, w) in workers.enumerated() where w !== killed {
            let log = (try? String(contentsOfFile: root + "/worker\(i).log", encoding: .utf8)) ?? ""
            XCTAssertEqual(w.terminationStatus, 0, log)
        }
        let logs = (0..<3).map { (try? String(contentsOfFile: root + "/worker\($0).log", encoding: .utf8)) ?? "" }.joined()
        XCTAssertTrue(logs.contains("\(victimPoint): started (attempt 2, after a worker stopped)"), logs)

        // Every point done exactly once, one run each, all finished.
        let status = try XCTUnwrap(try PostgresSweepQueue(url).status(experiment: "fault").experiments.first)
        XCTAssertEqual([status.queued, status.running, status.done, status.failed], [0, 0, 24, 0])
        let store = try PostgresRunStore(url)
        let runs = try store.listRuns(RunFilter(experiment: "fault"))
        XCTAssertEqual(runs.count, 24)
        XCTAssertEqual(Set(runs.map(\.name)).count, 24)
        XCTAssertTrue(runs.allSatisfy { $0.status == .finished }, "\(runs.map(\.status))")

        // Bit-identical to the one-worker run: every step's metrics, evaluations, final metrics and verdicts.
        let reference = try SQLiteRunStore(directory: root + "/ref", create: false)
        let refRuns = Dictionary(uniqueKeysWithValues: try reference.listRuns(RunFilter(experiment: "fault")).map { ($0.name, $0.id) })
        XCTAssertEqual(refRuns.count, 24)
        for run in runs {
            let a = try store.run(run.id), b = try reference.run(try XCTUnwrap(refRuns[run.name]))
            XCTAssertEqual(a.metrics, b.metrics, run.name)
            XCTAssertEqual(a.evals, b.evals, run.name)
            XCTAssertEqual(a.summary.final.loss, b.summary.final.loss, run.name)
            XCTAssertEqual(a.summary.final.accuracy, b.summary.final.accuracy, run.name)
            XCTAssertEqual(a.verdicts, b.verdicts, run.name)
            XCTAssertEqual(a.probeRows, b.probeRows, run.name)
        }
        let resumed = try XCTUnwrap(try queue.points(experiment: "fault").first { $0.point.name == victimPoint })
        let dir = RunDirectory(shared + "/" + resumed.point.directory)
        XCTAssertEqual(try dir.readProbe().count, 41, "the look before training and steps 0, 10, …, 390, once each")
        XCTAssertFalse(dir.exists(.checkpoint), "a finished point's checkpoint is removed")
        XCTAssertEqual(try server.psql("SELECT attempts FROM sweep_points WHERE experiment = 'fault' AND name = '\(victimPoint)'", database: url), "2")
    }

    /// The Slurm recipe, run as two array tasks would run it: both queue the sweep (once), both
    /// work, and the sweep finishes.
    func testSlurmRecipeRunsAsAnArrayJob() throws {
        let server = try PostgresTestServer.shared()
        let url = try server.freshDatabase("slurm")
        let file = try sweep(points: 6, steps: 60)
        var repo = URL(fileURLWithPath: #filePath)
        while !FileManager.default.fileExists(atPath: repo.appendingPathComponent("Package.swift").path) { repo.deleteLastPathComponent() }
        let script = repo.appendingPathComponent("examples/cluster/slurm-worker.sh").path
        let tasks = try (0..<2).map { task -> Process in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash"); p.arguments = [script, file]
            p.environment = ProcessInfo.processInfo.environment.merging([
                "SLURM_ARRAY_TASK_ID": "\(task)", "SLURM_ARRAY_TASK_COUNT": "2", "SLURM_ARRAY_JOB_ID": "4242", "SLURM_CPUS_PER_TASK": "1",
                "GRADLAB_STORE": url.full, "GRADLAB": gradlabBinary.path, "GRADLAB_RUNS": root + "/runs",
            ]) { $1 }
            let log = root + "/task\(task).log"
            FileManager.default.createFile(atPath: log, contents: nil)
            let h = try XCTUnwrap(FileHandle(forWritingAtPath: log))
            p.standardOutput = h; p.standardError = h
            try p.run()
            return p
        }
        wait(tasks, seconds: 120)
        for (i, t) in tasks.enumerated() {
            XCTAssertEqual(t.terminationStatus, 0, (try? String(contentsOfFile: root + "/task\(i).log", encoding: .utf8)) ?? "")
        }
        let s = try XCTUnwrap(try PostgresSweepQueue(url).status(experiment: "fault").experiments.first)
        XCTAssertEqual([s.done, s.total], [6, 6])
        XCTAssertEqual(try PostgresRunStore(url).listRuns(RunFilter(experiment: "fault")).count, 6)
        let status = try runGradlab(["sweep", "status", "--store", url.full])
        XCTAssertEqual(status.status, 0, status.err)
        XCTAssertTrue(status.out.contains("6/6"), status.out)
    }
}
#endif
