import Foundation
import GradLab
import GradLabDiagnostics

/// "Repair" from the page: `Repair.run` on the lab's settings (the same ladder as `gradlab
/// repair`), telling the page each candidate as it starts and each attempt as it ends, then the
/// winner with the before and after probe records for the two heat maps.
struct RepairJob: LabJob {
    struct Candidate: Encodable { let type = "candidate"; var name: String }
    struct Attempt: Encodable { let type = "attempt"; var attempt: RepairAttempt }
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
                                        attempted: { run.emit(Attempt(attempt: $0)) })
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
