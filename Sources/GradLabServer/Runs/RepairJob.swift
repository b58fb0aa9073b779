import Foundation
import GradLab
import GradLabDiagnostics

/// "Repair" from the page: `Repair.run` on the lab's settings (the same ladder as `gradlab
/// repair`), telling the page each candidate as it starts and each attempt as it ends, then the
/// winner with the before and after probe records for the two heat maps.
struct RepairJob: LabJob {
    struct Candidate: Encodable { let type = "candidate"; var name: String }
    struct Attempt: Encodable {
        /// The attempt in the page's spelling (the repair report's JSON uses snake_case).
        struct View: Encodable {
            var name: String, rationale: String, inRun: Bool, verdicts: [String], problemRemoved: Bool
            var blockedBy: String?
            var steps: Int, unrepairedMetric: Double, metric: Double, improved: Bool, seconds: Double
            var error: String?
            init(_ a: RepairAttempt) {
                name = a.name; rationale = a.rationale; inRun = a.inRun; verdicts = a.verdicts; problemRemoved = a.problemRemoved
                blockedBy = a.blockedBy; steps = a.steps; unrepairedMetric = a.unrepairedMetric; metric = a.metric
                improved = a.improved; seconds = a.seconds; error = a.error
            }
        }
        let type = "attempt"
        var attempt: View
    }
    struct Outcome: Encodable {
        let type = "repair"
        var problem: VerdictView?
        var verdicts: [VerdictView]
        var winner: String?, repairedConfig: RunConfig?
        var before: [LiveStep], after: [LiveStep], trialSteps: Int
    }

    func run(_ run: LabRun) {
        do {
            run.emit(Candidate(name: "diagnosing your settings (\(run.config.steps) steps)"))
            let result = try Repair.run(run.config, progress: { run.emit(Candidate(name: $0)) },
                                        attempted: { run.emit(Attempt(attempt: .init($0))) })
            let trained = result.before.filter { $0.beforeTraining != true }
            run.progressed(to: run.config.steps)
            run.emit(Outcome(problem: result.problem.map(VerdictView.init), verdicts: result.allVerdicts.map(VerdictView.init),
                             winner: result.winner?.name, repairedConfig: result.repairedConfig,
                             before: trained.map(LiveStep.init), after: result.after.filter { $0.beforeTraining != true }.map(LiveStep.init),
                             trialSteps: result.trialSteps))
            let message = result.problem == nil ? "healthy: nothing to repair"
                : result.winner.map { "repaired by \($0.name)" } ?? "no candidate removed the problem"
            run.finished(.finished, message: message, event: LiveEvent.End(status: RunPhase.finished.rawValue, message: message,
                                                                           verdicts: result.allVerdicts.map(VerdictView.init),
                                                                           final: .init(loss: result.beforeLoss.last), report: nil))
        } catch {
            run.finished(.failed, message: "\(error)", event: LiveEvent.End(status: RunPhase.failed.rawValue, message: "\(error)", verdicts: [], final: .init(), report: nil))
        }
    }
}
