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
        UpdateRatioRule(), UnchangedRule(), PlateauRule(), OscillationRule(), SlowConvergenceRule(),
    ]

    /// Every problem in `steps` (probed steps in order), each kind reported once at its first
    /// step, in kind order: `Verdict.Kind.allCases`, then the other kinds in rule order. With the
    /// run's `config`, each verdict's remedies are its rule's repair candidates as advice.
    public static func run(_ steps: [ProbeStep], config: RunConfig? = nil, thresholds t: DiagnosisThresholds = DiagnosisThresholds(),
                           rules: [any DiagnosisRule] = Diagnosis.rules) -> [Verdict] {
        var found: [Verdict.Kind: Verdict] = [:], seen: [Verdict.Kind] = []
        var nonFinite = false
        for i in steps.indices {
            nonFinite = nonFinite || steps[i].firstNonFinite != nil || !steps[i].loss.isFinite
            for v in check(steps, upTo: i, t, rules, nonFiniteSoFar: nonFinite) where found[v.kind] == nil {
                found[v.kind] = v
                seen.append(v.kind)
            }
        }
        let verdicts = Verdict.Kind.ordered(extra: rules.map(\.kind) + seen).compactMap { found[$0] }
        return config.map { c in verdicts.map { advised($0, c, rules) } } ?? verdicts
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
                      nonFiniteSoFar: Bool) -> [Verdict] {
        var out: [Verdict] = []
        for rule in rules where rule.evaluatesAfterNonFinite || !nonFiniteSoFar {
            out += rule.evaluate(RuleContext(steps: steps, upTo: i, thresholds: t, reported: out, nonFiniteSoFar: nonFiniteSoFar))
        }
        return out
    }

    /// The rule that owns `kind` in `rules`: the first that reports it.
    static func owner(of kind: Verdict.Kind, in rules: [any DiagnosisRule]) -> (any DiagnosisRule)? {
        rules.first { $0.kind == kind }
    }
}
