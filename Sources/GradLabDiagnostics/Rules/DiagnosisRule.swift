import Foundation
import GradLab

/// One detection rule: what it looks for in the probed stream, what it predicts from step 0,
/// how urgent its problem is to repair, and the remedies to try.
///
/// `Diagnosis.run` asks every rule, in list order, at every probed step i; the first verdict of
/// each kind is kept. A rule reports `kind` (and may report a second kind: the through-time rule
/// reports vanishing or exploding). The first rule of a list that reports a kind owns that kind:
/// its `priority`, `family` and `candidates` are the ones `Repair` uses for a verdict of it.
///
/// A rule defined outside this module declares its own kind:
///
///     struct LossAboveTen: DiagnosisRule {
///         var kind: Verdict.Kind { Verdict.Kind("loss-above-ten") }
///         var priority: Int { 25 }
///         func evaluate(_ c: RuleContext) -> [Verdict] { … }
///     }
///     Diagnosis.run(steps, rules: Diagnosis.rules + [LossAboveTen()])
public protocol DiagnosisRule: Sendable {
    /// The kind this rule reports.
    var kind: Verdict.Kind { get }
    /// Repair urgency: of the verdicts found, the one whose owning rule has the lowest priority is
    /// repaired. The built-in rules use 10 (non-finite) … 120 (loss not decreasing).
    var priority: Int { get }
    /// The kinds that count as the same problem: a repair that removes this kind but shows
    /// another of its family removed nothing. Default: `[kind]`.
    var family: Set<Verdict.Kind> { get }
    /// Whether the rule is still asked once NaN/Inf has appeared in the stream (a loss or any
    /// layer's statistics). From then on the statistics describe the wreck (zero gradients, dead
    /// units), not a cause, so only the non-finite and loss-blow-up rules look. Default: false.
    var evaluatesAfterNonFinite: Bool { get }
    /// A root cause, or the consequence of one (`VerdictRole`). Default: `.cause`.
    var role: VerdictRole { get }
    /// Judged once, on the whole run (at its last probed step), rather than at every step: an
    /// outcome, which a run that is merely slow to start must not trip. Default: false.
    var judgesOutcome: Bool { get }
    /// The verdicts of the stream `context.steps[...context.i]`, dated `context.step.step`.
    func evaluate(_ context: RuleContext) -> [Verdict]
    /// What the step-0 measurement (`Probe.measureOnce`, before any training) predicts; the
    /// engine marks the verdicts predicted. Default: nothing.
    func predict(_ step0: ProbeStep, thresholds: DiagnosisThresholds) -> [Verdict]
    /// Predictions are gathered by phase, then in list order: a rule of a later phase yields to
    /// earlier ones on a shared kind (`Verdict.merged` keeps the first). Default: 0.
    var predictionPhase: Int { get }
    /// Remedies for `verdict` in `config`, most promising first; `predicted` tells whether its
    /// problem was already visible at step 0 (the architecture is at fault) or appeared only in
    /// training. `Repair.ladder` drops those that would not change the config; for a recurrent
    /// config it uses the shared through-time ladder in place of a built-in rule's. Default: none.
    func candidates(for verdict: Verdict, config: RunConfig, predicted: Bool) -> [RepairCandidate]
}

extension DiagnosisRule {
    public var family: Set<Verdict.Kind> { [kind] }
    public var evaluatesAfterNonFinite: Bool { false }
    public var predictionPhase: Int { 0 }
    public var role: VerdictRole { .cause }
    public var judgesOutcome: Bool { false }
    public func predict(_ step0: ProbeStep, thresholds: DiagnosisThresholds) -> [Verdict] { [] }
    public func candidates(for verdict: Verdict, config: RunConfig, predicted: Bool) -> [RepairCandidate] { [] }
}

/// What a rule sees at probed step i: the stream so far and what the engine knows of it.
public struct RuleContext: Sendable {
    /// The probed steps in order; a rule looks at `steps[...i]` only.
    public let steps: [ProbeStep]
    public let i: Int
    public let thresholds: DiagnosisThresholds
    /// The verdicts that the rules before this one in the list reported at step i.
    public let reported: [Verdict]
    /// NaN/Inf appeared in `steps[...i]`: in a loss, or in any layer's statistics.
    public let nonFiniteSoFar: Bool
    /// What a constant answer scores on the task, when the caller knows the data.
    public let baseline: TaskBaseline?

    public init(steps: [ProbeStep], upTo i: Int, thresholds: DiagnosisThresholds = DiagnosisThresholds(), reported: [Verdict] = [],
                nonFiniteSoFar: Bool? = nil, baseline: TaskBaseline? = nil) {
        self.steps = steps; self.i = i; self.thresholds = thresholds; self.reported = reported; self.baseline = baseline
        self.nonFiniteSoFar = nonFiniteSoFar ?? steps[...i].contains { $0.firstNonFinite != nil || !$0.loss.isFinite }
    }

    /// The step being judged, `steps[i]`.
    public var step: ProbeStep { steps[i] }
    /// The loss-blow-up rule fired at this step (it runs before the exploding rule, whose ratio
    /// test needs this confirmation).
    public var lossBlewUp: Bool { reported.contains { $0.kind == .lossBlowUp } }
}
