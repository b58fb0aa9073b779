import Foundation
import GradLab

/// The rule engine: runs a list of `DiagnosisRule`s over a probed stream (`run`) or over the
/// step-0 measurement (`predict`).
public enum Diagnosis {
    /// The built-in rules in evaluation order. At each step the non-finite and loss-blow-up rules
    /// look first; once NaN/Inf has appeared the others are not asked. The exploding rule needs
    /// the loss-blow-up rule before it (its ratio test is confirmed by a blow-up).
    public static let rules: [any DiagnosisRule] = [
        NonFiniteRule(), LossBlowUpRule(),
        VanishingRule(), ThroughTimeRule(), VanishingMeanRule(),
        ExplodingRule(), DeadReLURule(), SaturationRule(), PoorInitRule(),
        UpdateRatioRule(), UnchangedRule(), PlateauRule(), OscillationRule(), SlowConvergenceRule(), NotLearningRule(),
    ]

    /// Every problem in `steps` (probed steps in order), each kind reported once at its first
    /// step, ranked (`ranked`): root causes first, then their consequences. With the run's
    /// `config`, each verdict's remedies are repair candidates as advice (a consequence's are its
    /// cause's). With the task's `baseline`, a run that ends no better than a constant answer is
    /// never healthy (`NotLearningRule`).
    public static func run(_ steps: [ProbeStep], config: RunConfig? = nil, baseline: TaskBaseline? = nil,
                           thresholds t: DiagnosisThresholds = DiagnosisThresholds(), rules: [any DiagnosisRule] = Diagnosis.rules) -> [Verdict] {
        var found: [Verdict.Kind: Verdict] = [:], seen: [Verdict.Kind] = []
        var nonFinite = false
        for i in steps.indices {
            nonFinite = nonFinite || steps[i].firstNonFinite != nil || !steps[i].loss.isFinite
            for v in check(steps, upTo: i, t, rules, nonFiniteSoFar: nonFinite, baseline: baseline) where found[v.kind] == nil {
                found[v.kind] = v
                seen.append(v.kind)
            }
        }
        let verdicts = Verdict.Kind.ordered(extra: rules.map(\.kind) + seen).compactMap { found[$0] }
        return ranked(verdicts, config: config, rules: rules)
    }

    /// `verdicts` with causes before consequences: each consequence names the most urgent cause
    /// found with it (`Verdict.cause`) and, with a `config`, carries that cause's remedies; the
    /// others carry their own rule's.
    public static func ranked(_ verdicts: [Verdict], config: RunConfig? = nil, rules: [any DiagnosisRule] = Diagnosis.rules) -> [Verdict] {
        func role(_ v: Verdict) -> VerdictRole { owner(of: v.kind, in: rules)?.role ?? .cause }
        let causes = verdicts.filter { role($0) == .cause }
        let root = Repair.primary(causes, rules: rules)
        let consequences = verdicts.filter { role($0) == .consequence }.map { v -> Verdict in
            var v = v
            if let root { v.cause = root.kind }
            return v
        }
        let out = causes + consequences
        return config.map { c in out.map { advised($0, c, rules) } } ?? out
    }

    /// `verdict` with its remedies rendered from the candidates its rule suggests for `config`.
    static func advised(_ verdict: Verdict, _ config: RunConfig, _ rules: [any DiagnosisRule]) -> Verdict {
        var v = verdict
        v.remedies = Repair.ladder(for: v, config: config, rules: rules).map { $0.advice(for: config) }
        return v
    }

    /// Predicts from one forward/backward at initialization (`Probe.measureOnce`) what will go
    /// wrong, from the architecture and initialization alone: each rule's `predict`, by
    /// `predictionPhase`, then in rule order.
    public static func predict(_ step0: ProbeStep, config: RunConfig? = nil, thresholds t: DiagnosisThresholds = DiagnosisThresholds(),
                               rules: [any DiagnosisRule] = Diagnosis.rules) -> [Verdict] {
        let ordered = rules.enumerated().sorted { ($0.element.predictionPhase, $0.offset) < ($1.element.predictionPhase, $1.offset) }.map(\.element)
        let verdicts = ordered.flatMap { $0.predict(step0, thresholds: t) }.map { var v = $0; v.predicted = true; return v }
        return config.map { c in verdicts.map { advised($0, c, rules) } } ?? verdicts
    }

    /// The verdicts of every rule on the stream up to step i, in rule order.
    static func check(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds, _ rules: [any DiagnosisRule],
                      nonFiniteSoFar: Bool, baseline: TaskBaseline?) -> [Verdict] {
        var out: [Verdict] = []
        for rule in rules where (rule.evaluatesAfterNonFinite || !nonFiniteSoFar) && (!rule.judgesOutcome || i == steps.count - 1) {
            out += rule.evaluate(RuleContext(steps: steps, upTo: i, thresholds: t, reported: out, nonFiniteSoFar: nonFiniteSoFar, baseline: baseline))
        }
        return out
    }

    /// The rule that owns `kind` in `rules`: the first that reports it.
    static func owner(of kind: Verdict.Kind, in rules: [any DiagnosisRule]) -> (any DiagnosisRule)? {
        rules.first { $0.kind == kind }
    }
}
