import Foundation
import GradLab

/// One remedy to try: a change to the run's config, and why it should help.
public struct RepairCandidate: Sendable {
    public var name: String
    public var rationale: String
    /// True for remedies that act inside the running job (clipping, skip-and-back-off): no restart
    /// is needed when they suffice.
    public var inRun: Bool = false
    public var edit: @Sendable (inout RunConfig) -> Void

    public init(name: String, rationale: String, inRun: Bool = false, edit: @escaping @Sendable (inout RunConfig) -> Void) {
        self.name = name; self.rationale = rationale; self.inRun = inRun; self.edit = edit
    }

    /// The remedy as advice for a run of `config`: its name and the change as the flags that make
    /// it, read off the key table, e.g. "learning rate ÷10 (--lr 0.0001)".
    public func advice(for config: RunConfig) -> String {
        var edited = config
        edit(&edited)
        let flags = RunConfig.keys.compactMap { key -> String? in
            let (before, after) = (key.value(in: config), key.value(in: edited))
            guard before != after else { return nil }
            if after == .null { return "without --\(key.name)" }
            if key.isFlag { return after == .bool(true) ? "--\(key.name)" : "--\(key.name)=false" }
            return "--\(key.name) \(after.text)"
        }
        return flags.isEmpty ? name : "\(name) (\(flags.joined(separator: " ")))"
    }
}

/// What one candidate did in its short trial run.
public struct RepairAttempt: Codable, Sendable {
    public var name: String
    public var rationale: String
    public var inRun: Bool
    public var verdicts: [String]
    /// The targeted problem (its family of verdicts) is gone.
    public var problemRemoved: Bool
    /// The verdict that kept this candidate from winning: one of the problem's family, or a
    /// breakdown it traded in (nil when none did).
    public var blockedBy: String?
    /// Training steps of this trial, and the unrepaired run's metric over as many.
    public var steps: Int
    public var unrepairedMetric: Double
    /// Mean training loss over the last 10% of the trial (∞ if the run broke down).
    public var metric: Double
    public var improved: Bool
    public var seconds: Double
    public var error: String?
    enum CodingKeys: String, CodingKey {
        case name, rationale, inRun = "in_run", verdicts, problemRemoved = "problem_removed", blockedBy = "blocked_by", steps
        case unrepairedMetric = "unrepaired_metric", metric, improved, seconds, error
    }
}

/// The outcome of `Repair.run`: the problem, every candidate tried, the winner, the evidence.
public struct RepairResult: Sendable {
    public var config: RunConfig
    public var problem: Verdict?
    public var allVerdicts: [Verdict]
    public var attempts: [RepairAttempt]
    public var winner: RepairAttempt? { attempts.last.flatMap { $0.problemRemoved && $0.improved ? $0 : nil } }
    public var repairedConfig: RunConfig?
    /// The shortest trial, and the unrepaired run's metric over as many steps (a trial that looks
    /// healthy but has not yet beaten `baseline` is extended: `Repair.run`).
    public var trialSteps: Int
    public var unrepairedMetric: Double
    /// What a constant answer scores on the task: a trial must beat it to be judged early.
    public var baseline: TaskBaseline
    /// Wall time of the unrepaired run (the "one training run") and of all trials together.
    public var runSeconds: Double
    public var repairSeconds: Double
    /// Compute spent on repair relative to one training run: training steps of all trials over
    /// the run's steps (machine-independent; seconds are reported too).
    public var costRatio: Double { Double(attempts.reduce(0) { $0 + $1.steps }) / Double(Swift.max(config.steps, 1)) }
    /// Probe records of the unrepaired run and of the winning trial (for before/after pictures).
    public var before: [ProbeStep]
    public var beforeLoss: [Double]
    public var after: [ProbeStep]
    public var afterLoss: [Double]
}

/// Automatic repair: diagnose, then try remedies from an evidence-ranked ladder, each for a
/// short budget from the same seed, and keep the first that removes the problem and improves the
/// training loss by `margin` over the unrepaired run at the same step.
///
/// The ladder follows the reference notes (AUTOTRAINER's ladders and what won there, Pascanu et
/// al. 2013 for recurrent nets): fix the initialization to suit the activation, swap the
/// activation, normalize or add residual connections, and clip last — except where the evidence
/// points elsewhere: problems that appear only during training (not predicted at step 0) point
/// at the learning rate first; recurrent explosions at norm clipping first.
public enum Repair {
    /// Verdict kinds ranked by urgency (their owning rules' `DiagnosisRule.priority`): the
    /// highest present is repaired. Dead units come before vanishing: they zero the gradient themselves.
    public static let priority: [Verdict.Kind] = ranked(Diagnosis.rules)

    /// The kinds of `rules`, each once, by their owner's priority (ties in rule order).
    static func ranked(_ rules: [any DiagnosisRule]) -> [Verdict.Kind] {
        var seen = Set<Verdict.Kind>()
        let owners = rules.filter { seen.insert($0.kind).inserted }
        return owners.enumerated().sorted { ($0.element.priority, $0.offset) < ($1.element.priority, $1.offset) }.map(\.element.kind)
    }

    /// Kinds that count as the same problem (removing one but showing another is no repair):
    /// the owning rule's `family`.
    static func family(_ kind: Verdict.Kind, rules: [any DiagnosisRule] = Diagnosis.rules) -> Set<Verdict.Kind> {
        Diagnosis.owner(of: kind, in: rules)?.family ?? [kind]
    }

    /// The problem to repair: the most urgent verdict (a kind no rule owns comes last).
    public static func primary(_ verdicts: [Verdict], rules: [any DiagnosisRule] = Diagnosis.rules) -> Verdict? {
        func rank(_ kind: Verdict.Kind) -> Int { Diagnosis.owner(of: kind, in: rules)?.priority ?? Int.max }
        return verdicts.min { rank($0.kind) < rank($1.kind) }
    }

    /// The candidates for `problem` in `config`, most promising first: those of the rule that
    /// owns its kind (`DiagnosisRule.candidates`), or its cause's for a consequence
    /// (`Verdict.cause`); those that would not change the config are dropped.
    public static func ladder(for problem: Verdict, config: RunConfig, predicted: Bool? = nil,
                              rules: [any DiagnosisRule] = Diagnosis.rules) -> [RepairCandidate] {
        let predicted = predicted ?? problem.predicted
        let owner = Diagnosis.owner(of: problem.cause ?? problem.kind, in: rules)
        guard owner != nil || problem.cause == nil else { return [] }
        let builtIn = owner.map { o in Diagnosis.rules.contains { $0.kind == o.kind } } ?? false
        // A recurrent net's problems, whichever built-in rule found them, are repaired through time:
        // clipping for the explosions, gating and the recurrence's init for the rest.
        let out = config.isRecurrent && builtIn
            ? RepairCandidate.recurrentLadder(config, exploding: owner!.family.contains(.exploding))
            : owner?.candidates(for: problem, config: config, predicted: predicted) ?? []
        // Drop candidates that change nothing, and any that makes the same config as one before it.
        var seen: [RunConfig] = [config]
        return out.filter { c in
            var edited = config
            c.edit(&edited)
            guard !seen.contains(edited) else { return false }
            seen.append(edited)
            return true
        }
    }

    /// Diagnoses `config` over its full `steps`, then tries the ladder. Each trial trains
    /// `budgetFraction` of the steps (at least 50) from the same seed; one that shows none of the
    /// problem's verdicts but has not yet beaten the task's baseline (the constant answer's loss,
    /// by `margin`) is extended, doubling, up to the full steps: a task that takes hundreds of
    /// steps to learn is judged after hundreds. `progress` hears each candidate's name as it
    /// starts (and each extension), `attempted` each finished attempt.
    public static func run(_ config: RunConfig, budgetFraction: Double = 0.25, margin: Double = 0.02,
                           progress: ((String) -> Void)? = nil, attempted: ((RepairAttempt) -> Void)? = nil) throws -> RepairResult {
        guard budgetFraction > 0 && budgetFraction <= 1 else { throw GradLabError.invalid("budget fraction \(budgetFraction) must be in (0, 1]") }
        guard margin >= 0 && margin < 1 else { throw GradLabError.invalid("margin \(margin) must be in [0, 1)") }
        var t0 = now()
        let original = try DiagnosticRun.run(config)
        let runSeconds = now() - t0
        let verdicts = original.all
        let trialSteps = Swift.min(config.steps, Swift.max(50, Int((Double(config.steps) * budgetFraction).rounded())))
        let losses = original.history.steps.map(\.loss)
        var result = RepairResult(config: config, problem: primary(verdicts), allVerdicts: verdicts, attempts: [], repairedConfig: nil,
                                  trialSteps: trialSteps, unrepairedMetric: metric(Array(losses.prefix(trialSteps)), expected: trialSteps),
                                  baseline: original.baseline,
                                  runSeconds: runSeconds, repairSeconds: 0, before: original.probe.steps, beforeLoss: losses,
                                  after: [], afterLoss: [])
        guard let problem = result.problem else { return result }
        let target = family(problem.kind)
        t0 = now()
        defer { result.repairSeconds = now() - t0 }
        // The evidence: was any verdict of this problem's family predicted before training?
        let predicted = verdicts.contains { target.contains($0.kind) && $0.predicted }
        for candidate in ladder(for: problem, config: config, predicted: predicted) {
            var c = config
            candidate.edit(&c)
            progress?(candidate.name)
            let started = now()
            do {
                var steps = trialSteps, trial: DiagnosticRun, blocker: Verdict?
                // Removed, and no breakdown traded in for it (a fix that makes the loss blow up
                // is not a repair).
                let breakdown: Set<Verdict.Kind> = [.nonFinite, .lossBlowUp, .exploding]
                repeat {
                    if steps > trialSteps { progress?("\(candidate.name): looks healthy, not yet below the baseline; extending to \(steps) steps") }
                    trial = try DiagnosticRun.run(c, steps: steps)
                    blocker = trial.all.first { target.contains($0.kind) || breakdown.contains($0.kind) }
                    let m = metric(trial.history.steps.map(\.loss), expected: steps)
                    guard blocker == nil, m.isFinite, m > (1 - margin) * result.baseline.loss, steps < config.steps else { break }
                    steps = Swift.min(config.steps, steps * 2)
                } while true
                let m = metric(trial.history.steps.map(\.loss), expected: steps)
                let unrepaired = metric(Array(losses.prefix(steps)), expected: steps)
                let vs = trial.all
                let removed = blocker == nil
                let improved = m.isFinite && (m <= (1 - margin) * unrepaired || !unrepaired.isFinite)
                result.attempts.append(RepairAttempt(name: candidate.name, rationale: candidate.rationale, inRun: candidate.inRun,
                                                     verdicts: vs.map(\.line), problemRemoved: removed, blockedBy: blocker?.line, steps: steps,
                                                     unrepairedMetric: unrepaired, metric: m, improved: improved, seconds: now() - started))
                attempted?(result.attempts.last!)
                if removed && improved {
                    c.steps = config.steps
                    result.repairedConfig = c
                    result.after = trial.probe.steps
                    result.afterLoss = trial.history.steps.map(\.loss)
                    break
                }
            } catch {
                result.attempts.append(RepairAttempt(name: candidate.name, rationale: candidate.rationale, inRun: candidate.inRun, verdicts: [],
                                                     problemRemoved: false, blockedBy: nil, steps: 0, unrepairedMetric: result.unrepairedMetric,
                                                     metric: .infinity, improved: false, seconds: now() - started, error: "\(error)"))
                attempted?(result.attempts.last!)
            }
        }
        result.repairSeconds = now() - t0
        return result
    }

    /// Mean loss over the last 10% of a run's finite-loss steps; ∞ if the run stopped early or
    /// more than 10% of its steps were non-finite (steps skipped by the in-run guard count so).
    static func metric(_ losses: [Double], expected: Int) -> Double {
        let finite = losses.filter(\.isFinite)
        guard losses.count >= expected, !finite.isEmpty, finite.count * 10 >= losses.count * 9 else { return .infinity }
        let tail = finite.suffix(Swift.max(1, finite.count / 10))
        return tail.reduce(0, +) / Double(tail.count)
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
