import Foundation
import GradLab

/// A named problem found in the probe's stream, with the layers, the step it was first seen,
/// the numbers that triggered it, the mechanism in plain words, and remedies ranked best first.
public struct Verdict: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, CaseIterable, Sendable {
        case nonFinite = "non-finite", lossBlowUp = "loss-blow-up", vanishing, exploding
        case updateRatio = "update-ratio", deadReLU = "dead-relu", saturation, poorInit = "poor-init"
        case unchanged, notDecreasing = "loss-not-decreasing"
        case oscillation = "oscillating-loss", slowConvergence = "slow-convergence"
    }
    public var kind: Kind
    /// 1-based Dense layer numbers, input side first.
    public var layers: [Int]
    public var firstStep: Int
    /// True when found by the step-0 prediction, before any training.
    public var predicted: Bool
    public var evidence: String
    public var explanation: String
    public var remedies: [String]

    public var line: String {
        let where_ = layers.isEmpty ? "" : " at layer\(layers.count > 1 ? "s" : "") \(Verdict.ranges(layers))"
        return "\(kind.rawValue)\(where_), \(predicted ? "predicted at step 0" : "step \(firstStep)"): \(evidence)"
    }

    static func ranges(_ xs: [Int]) -> String {
        var out: [String] = [], i = 0
        let s = xs.sorted()
        while i < s.count {
            var j = i
            while j + 1 < s.count && s[j + 1] == s[j] + 1 { j += 1 }
            out.append(j > i ? "\(s[i])–\(s[j])" : "\(s[i])")
            i = j + 1
        }
        return out.joined(separator: ", ")
    }
}
extension Verdict {
    /// One verdict per kind, the earliest (a predicted one before one seen in training), in kind order.
    public static func merged(_ verdicts: [Verdict]) -> [Verdict] {
        var byKind: [Kind: Verdict] = [:]
        for v in verdicts where byKind[v.kind] == nil || (v.predicted && !(byKind[v.kind]!.predicted)) { byKind[v.kind] = v }
        return Kind.allCases.compactMap { byKind[$0] }
    }

    /// A verdict built outside the rule engine (tests, imported records).
    public init(_ kind: Kind, layers: [Int], firstStep: Int, predicted: Bool, evidence: String, explanation: String, remedies: [String]) {
        self.kind = kind; self.layers = layers; self.firstStep = firstStep; self.predicted = predicted
        self.evidence = evidence; self.explanation = explanation; self.remedies = remedies
    }
}


/// Thresholds of the rules (defaults from the published debuggers; see the reference notes).
public struct DiagnosisThresholds: Codable, Equatable, Sendable {
    /// Rule 2: loss at or above this is a blow-up…
    public var lossBlowUp = 1e3
    /// …as is a smoothed loss above this multiple of its minimum while worse than at the start.
    public var lossBlowUpFactor = 2.0
    /// Rule 3: ‖∇W₁‖/‖∇W_L‖ below this, together with ‖∇W₁‖ below `vanishingAbsolute`.
    public var vanishingRatio = 1e-3
    public var vanishingAbsolute = 1e-4
    /// Rule 4: mean |∇W| below this in any layer below the top, while the top layer's is at
    /// least `vanishingMeanAbsTopFactor` times larger (a converged or dead-output net has tiny
    /// gradients everywhere: that is no vanishing).
    public var vanishingMeanAbs = 1e-7
    public var vanishingMeanAbsTopFactor = 100.0
    /// Rule 5: ‖∇W₁‖/‖∇W_L‖ above this — only when confirmed by rule 1, 2 or 6.
    public var explodingRatio = 70.0
    /// Step-0 prediction of explosion (no training evidence to gate on yet): a stricter ratio.
    public var explodingRatioAtStep0 = 100.0
    /// Rule 6: mean |∇W| above this in any layer.
    public var explodingMeanAbs = 1e6
    /// Rule 7: ‖ΔW‖/‖W‖ above this in any layer.
    public var updateRatioHigh = 1.0
    /// Rule 7: ‖ΔW‖/‖W‖ below this in every layer, over `window` checks.
    public var updateRatioLow = 1e-6
    /// Rule 8: fraction of a layer's units never active on the batch that counts it as dying…
    public var deadFraction = 0.5
    /// …confirmed by the model-wide zero-gradient share below, or by one layer this dead.
    public var deadLayerFraction = 0.9
    /// Rule 8, model-wide: fraction of exactly-zero weight-gradient entries.
    public var zeroGradientFraction = 0.7
    /// Rule 9: fraction of a sigmoid/tanh layer's inputs beyond the saturation threshold.
    public var saturatedFraction = 0.5
    /// Rule 12: relative decrease over `plateauSteps` of the fixed-batch loss (when probed; else
    /// of the training loss smoothed over 5 checks) below this…
    public var plateauDecrease = 1e-3
    public var plateauSteps = 100
    /// …while the loss is still above this fraction of its starting value (it never learned).
    public var plateauLossFraction = 0.9
    /// Rule 11: a layer is unchanged when ‖ΔW‖ ≤ absolute + relative·‖W‖ on every check of the window.
    public var unchangedAbsolute = 1e-8
    public var unchangedRelative = 1e-7
    /// Through time (recurrent layers): ‖∂L/∂h_1‖/‖∂L/∂h_T‖ below this is vanishing, above
    /// `explodingTimeRatio` exploding, when it holds on `window` consecutive training checks (or
    /// in the step-0 prediction).
    public var vanishingTimeRatio = 1e-4
    public var explodingTimeRatio = 1e4
    /// Gated cells (LSTM, GRU) learn to open their gates, so at step 0 a through-time decay is
    /// predicted to persist only when at least this fraction of the carry gates is shut (< 0.05).
    public var shutGateFraction = 0.5
    /// …and in training, with its gates open, the decay must hold this many windows long.
    public var gatedWindows = 4
    /// Trend rules and "unchanged" look at this many consecutive checks.
    public var window = 5
    /// Rule 13 (oscillation), on the fixed-batch loss over the last `oscillationWindow` probed
    /// steps: the direction of change flips on more than `oscillationFlips` of the steps that
    /// move it (moves below `oscillationDeadband` of the level do not count)…
    public var oscillationWindow = 30
    public var oscillationFlips = 0.5
    public var oscillationDeadband = 1e-3
    /// …the typical (median) step-to-step change is at least `oscillationSwing` of the typical
    /// (median) level — a median, so that a few isolated spikes in a settled run do not count…
    public var oscillationSwing = 0.15
    /// …it does not decrease overall: the rises undo at least this fraction of the falls…
    public var oscillationRiseFall = 0.5
    /// …and it is far from fitted: the window's mean is at least this fraction of the first
    /// loss (jitter around a fitted solution is no oscillation).
    public var oscillationMinLevel = 0.1
    /// Rule 14 (slow convergence), on the fixed-batch loss once `slowSteps` steps are seen: the
    /// best relative improvement over any `slowWindow` steps is below `slowImprovement`, the loss
    /// is still above `slowLossFraction` of its first value, and it did fall over the last
    /// `slowSteps` steps by at least `plateauDecrease` (otherwise it is rule 12's plateau).
    public var slowWindow = 25
    public var slowImprovement = 0.1
    public var slowSteps = 100
    public var slowLossFraction = 0.5
    public init() {}
}

public enum Diagnosis {
    /// Every problem in `steps` (probed steps in order), each reported once at its first step.
    public static func run(_ steps: [ProbeStep], thresholds t: DiagnosisThresholds = DiagnosisThresholds()) -> [Verdict] {
        var found: [Verdict.Kind: Verdict] = [:]
        for i in steps.indices {
            for v in check(steps, upTo: i, t) where found[v.kind] == nil { found[v.kind] = v }
        }
        return Verdict.Kind.allCases.compactMap { found[$0] }
    }

    /// Predicts from one forward/backward at initialization (`Probe.measureOnce`) what will go
    /// wrong, from the architecture and initialization alone.
    public static func predict(_ step0: ProbeStep, thresholds t: DiagnosisThresholds = DiagnosisThresholds()) -> [Verdict] {
        var out: [Verdict] = []
        let layers = step0.layers
        if let v = nonFinite(step0) { out.append(v) }
        if let v = vanishing(layers, t, step: step0.step) { out.append(v) }
        if let v = explodingRatio(layers, t.explodingRatioAtStep0, step: step0.step) { out.append(v) }
        if let v = dead(layers, t, step: step0.step) { out.append(v) }
        if let v = saturated(layers, t, step: step0.step) { out.append(v) }
        if let v = symmetric(layers, step: step0.step) { out.append(v) }
        out += throughTime([step0], upTo: 0, t, prediction: true)
        return out.map { var v = $0; v.predicted = true; return v }
    }

    // MARK: rules on the stream up to step i

    static func check(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds) -> [Verdict] {
        let s = steps[i], layers = s.layers
        var out: [Verdict] = []
        if let v = nonFinite(s) { out.append(v) }
        let blowUp = lossBlowUp(steps, upTo: i, t)
        if let blowUp { out.append(blowUp) }
        // Once NaN/Inf has appeared the run is lost: later statistics describe the wreck
        // (zero gradients, dead units), not a cause.
        if steps[...i].contains(where: { $0.firstNonFinite != nil || !$0.loss.isFinite }) { return out }
        if let v = vanishing(layers, t, step: s.step) { out.append(v) }
        out += throughTime(steps, upTo: i, t)
        let topMeanAbs = layers.last?.gradMeanAbs ?? 0
        func tinyBelowTop(_ l: LayerStats) -> Bool {
            l.gradMeanAbs < t.vanishingMeanAbs && l.layer < layers.count && topMeanAbs > 0 && topMeanAbs >= t.vanishingMeanAbsTopFactor * l.gradMeanAbs
        }
        if let v = layers.first(where: { tinyBelowTop($0) && $0.gradNonFinite == 0 }) {
            let tiny = layers.filter(tinyBelowTop).map(\.layer)
            out.append(Verdict(kind: .vanishing, layers: tiny, firstStep: s.step, predicted: false,
                               evidence: String(format: "mean |∇W| = %.1e in layer %d (below %.0e) while the top layer's is %.1e", v.gradMeanAbs, v.layer, t.vanishingMeanAbs, topMeanAbs),
                               explanation: "these layers receive almost no gradient, so their weights stay where they were initialized.",
                               remedies: remedies(.vanishing, layers)))
        }
        // Exploding: absolute, trend, or ratio confirmed by a blow-up or non-finite values.
        let big = layers.filter { $0.gradMeanAbs > t.explodingMeanAbs }
        let confirmed = blowUp != nil || s.firstNonFinite != nil || !big.isEmpty || growing(steps, upTo: i, t)
        if !big.isEmpty {
            out.append(Verdict(kind: .exploding, layers: big.map(\.layer), firstStep: s.step, predicted: false,
                               evidence: String(format: "mean |∇W| = %.1e in layer %d (above %.0e)", big[0].gradMeanAbs, big[0].layer, t.explodingMeanAbs),
                               explanation: "gradients this large throw the weights far from any useful value in one step.",
                               remedies: remedies(.exploding, layers)))
        } else if confirmed, let v = explodingRatio(layers, t.explodingRatio, step: s.step) {
            out.append(v)
        } else if growing(steps, upTo: i, t) {
            out.append(Verdict(kind: .exploding, layers: layers.map(\.layer), firstStep: s.step, predicted: false,
                               evidence: "the gradient norm more than doubled on each of the last \(t.window) checks while the loss did not fall",
                               explanation: "a growing gradient feeds larger updates, which make the gradient larger still.",
                               remedies: remedies(.exploding, layers)))
        }
        if let v = dead(layers, t, step: s.step) { out.append(v) }
        if let v = saturated(layers, t, step: s.step) { out.append(v) }
        if let v = symmetric(layers, step: s.step) { out.append(v) }
        if let v = updateRatio(steps, upTo: i, t) { out.append(v) }
        if let v = unchanged(steps, upTo: i, t) { out.append(v) }
        if let v = plateau(steps, upTo: i, t) { out.append(v) }
        if let v = oscillation(steps, upTo: i, t) { out.append(v) }
        if let v = slowConvergence(steps, upTo: i, t) { out.append(v) }
        return out
    }

    /// Vanishing and exploding through time in recurrent layers: the same product of factors,
    /// one per time step instead of one per layer (Bengio et al. 1994; Pascanu et al. 2013).
    static func throughTime(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds, prediction: Bool = false) -> [Verdict] {
        let s = steps[i]
        // In training the decay must persist over a full window: step 0 alone is the prediction's
        // call. A gated cell whose gates are open can still learn to carry, so its decay must
        // persist `gatedWindows` times as long (and is not predicted at all).
        func holds(_ r: TimeStats, over checks: Int, _ test: (Double) -> Bool) -> Bool {
            guard prediction || i + 1 >= checks else { return false }
            return steps[Swift.max(0, i - checks + 1)...i].allSatisfy { step in step.time.first { $0.name == r.name }.map { test($0.firstToLast) } ?? false }
        }
        return s.time.compactMap { r -> Verdict? in
            let gated = r.cell == "lstm" || r.cell == "gru"
            let open = gated && r.gateNearZero < t.shutGateFraction
            let vanishing = !(prediction && open) && holds(r, over: open ? t.window * t.gatedWindows : t.window) { $0 < t.vanishingTimeRatio }
            let exploding = holds(r, over: t.window) { $0 > t.explodingTimeRatio }
            guard vanishing || exploding, r.firstToLast.isFinite else { return nil }
            let T = r.gradNormByTime.count
            let perStep = Foundation.pow(r.firstToLast, 1 / Double(Swift.max(T - 1, 1)))
            var evidence = String(format: "in %@ (%@) the gradient at step 1 is %.1e of the gradient at step %d: ×%.3f per step back over %d steps",
                                  r.name, r.cell, r.firstToLast, T, perStep, T - 1)
            if let rho = r.spectralRadius, let sigma = r.sigmaMax {
                evidence += String(format: "; recurrent weights: spectral radius %.2f, σ_max %.2f", rho, sigma)
            }
            if gated {
                evidence += String(format: "; %.0f%% of %@ gates below 0.05", r.gateNearZero * 100, r.cell == "lstm" ? "forget" : "update")
            } else if r.hiddenSaturated > 0.05 {
                evidence += String(format: "; %.0f%% of hidden units %@", r.hiddenSaturated * 100, r.cell == "rnn-relu" ? "at 0" : "saturated")
            }
            let remedies = vanishing
                ? ["use an LSTM or GRU (--model lstm --forget-bias 1): the cell state carries the gradient additively",
                   "use an identity-initialized ReLU RNN (IRNN: --model rnn-relu --recurrent-init identity --input-std 0.001)",
                   "initialize the recurrence orthogonal at spectral radius 1 (--recurrent-init orthogonal)"]
                : ["clip gradients by global norm (--clip-norm 1)", "scale the recurrent weights below spectral radius 1 (--recurrent-init orthogonal --recurrent-scale 0.95)",
                   "lower the learning rate ×10 (--lr)"]
            return Verdict(kind: vanishing ? .vanishing : .exploding, layers: [], firstStep: s.step, predicted: false, evidence: evidence,
                           explanation: vanishing
                            ? "back-propagation through time multiplies one Jacobian per step; below 1 on average, their product wipes out what early steps could learn, so long-range dependencies are never learned."
                            : "one Jacobian per step, above 1 on average, multiplies into a huge gradient for early steps; updates overshoot unless clipped.",
                           remedies: remedies)
        }
    }

    static func nonFinite(_ s: ProbeStep) -> Verdict? {
        let lossBad = !s.loss.isFinite
        guard let first = s.firstNonFinite ?? (lossBad ? (0, "loss") : nil) else { return nil }
        let bad = s.layers.filter { $0.activationNonFinite + $0.deltaNonFinite + $0.gradNonFinite > 0 }.map(\.layer)
        let whereText = first.layer == 0 ? "in the loss" : "first in layer \(first.layer) (\(first.pass) pass)"
        return Verdict(kind: .nonFinite, layers: bad, firstStep: s.step, predicted: false,
                       evidence: "NaN/Inf \(whereText); loss \(s.loss), gradient norm \(String(format: "%.3g", s.gradNorm))",
                       explanation: "a value overflowed; from there NaN spreads through every later operation and the weights are lost.",
                       remedies: remedies(.nonFinite, s.layers))
    }

    static func lossBlowUp(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds) -> Verdict? {
        let s = steps[i]
        if s.loss.isFinite && s.loss >= t.lossBlowUp {
            return Verdict(kind: .lossBlowUp, layers: [], firstStep: s.step, predicted: false,
                           evidence: String(format: "loss %.3g ≥ %.0e", s.loss, t.lossBlowUp),
                           explanation: "the loss has grown by orders of magnitude: the updates are overshooting.",
                           remedies: remedies(.lossBlowUp, s.layers))
        }
        guard i >= 10 else { return nil }
        let smooth = smoothed(steps, upTo: i)
        let start = smoothed(steps, upTo: Swift.min(4, i))
        let minimum = (4...i).map { smoothed(steps, upTo: $0) }.min() ?? smooth
        guard smooth.isFinite, smooth > start, smooth >= t.lossBlowUpFactor * minimum, smooth > minimum + 0.1 else { return nil }
        return Verdict(kind: .lossBlowUp, layers: [], firstStep: s.step, predicted: false,
                       evidence: String(format: "smoothed loss %.3g, %.1f× its minimum %.3g and above its start %.3g", smooth, smooth / minimum, minimum, start),
                       explanation: "training made the loss worse than where it started: the steps are too large for this landscape.",
                       remedies: remedies(.lossBlowUp, s.layers))
    }

    static func smoothed(_ steps: [ProbeStep], upTo i: Int) -> Double {
        let w = steps[Swift.max(0, i - 4)...i].map(\.loss)
        return w.reduce(0, +) / Double(w.count)
    }

    /// Rule 3 on two ratios, like rule 5: the weight gradients' ‖∇W₁‖/‖∇W_L‖ (AUTOTRAINER) and
    /// the back-propagated signal's ‖δ₁‖/‖δ_L‖. In the ordered phase the second catches what the
    /// first misses: the forward activations die out toward the output as δ dies out toward the
    /// input, so ∇W_l = δ_l·x_{l−1}ᵀ is tiny in every layer and looks flat.
    static func vanishing(_ layers: [LayerStats], _ t: DiagnosisThresholds, step: Int) -> Verdict? {
        guard layers.count >= 3, let first = layers.first, let last = layers.last, last.gradNorm > 0,
              first.gradNonFinite == 0, last.gradNonFinite == 0, first.gradNorm < t.vanishingAbsolute else { return nil }
        let ratio = first.gradNorm / last.gradNorm, signal = first.gainProduct
        let factors = layers.count - 1
        let gains = layers.compactMap(\.gain).filter { $0.isFinite && $0 > 0 }
        let sat = layers.compactMap(\.saturatedFraction)
        let satText = sat.max().map { $0 > 0.05 ? String(format: "; up to %.0f%% of units saturated", $0 * 100) : "" } ?? ""
        if ratio < t.vanishingRatio {
            // Where the decay starts: layers whose gradient is below 1e-3 of the top layer's.
            let weak = layers.dropLast().filter { $0.gradNorm / last.gradNorm < t.vanishingRatio }.map(\.layer)
            let perLayer = Foundation.pow(ratio, 1 / Double(factors))
            let meanGain = gains.isEmpty ? perLayer : Foundation.exp(gains.map { Foundation.log($0) }.reduce(0, +) / Double(gains.count))
            let evidence = String(format: "‖∇W₁‖/‖∇W_%d‖ = %.1e, ‖∇W₁‖ = %.1e; the back-propagated signal shrinks ×%.2f per layer, %d factors multiply to %.1e",
                                  last.layer, ratio, first.gradNorm, meanGain, factors, first.gainProduct) + satText
            return Verdict(kind: .vanishing, layers: weak.isEmpty ? [first.layer] : weak, firstStep: step, predicted: false,
                           evidence: evidence,
                           explanation: "every layer multiplies the gradient by a factor below 1 (σ'·‖W‖), so the early layers get almost nothing and barely learn.",
                           remedies: remedies(.vanishing, layers))
        }
        guard signal.isFinite, signal > 0, signal < t.vanishingRatio else { return nil }
        let weak = layers.dropLast().filter { $0.gainProduct < t.vanishingRatio }.map(\.layer)
        let evidence = String(format: "‖δ₁‖/‖δ_%d‖ = %.1e: the back-propagated signal shrinks ×%.2f per layer over %d layers, and ‖∇W₁‖ = %.1e (the weight gradients look flat, ‖∇W_%d‖ = %.1e, because the forward activations die out toward the output by the same factor)",
                              last.layer, signal, Foundation.pow(signal, 1 / Double(factors)), factors, first.gradNorm, last.layer, last.gradNorm) + satText
        return Verdict(kind: .vanishing, layers: weak.isEmpty ? [first.layer] : weak, firstStep: step, predicted: false,
                       evidence: evidence,
                       explanation: "each layer's factor W_kᵀ·diag(φ') is below 1 (the ordered phase), so both the signal going forward and the gradient coming back fade geometrically with depth: no layer learns much.",
                       remedies: remedies(.vanishing, layers))
    }

    /// Rule 5 on two ratios: the weight gradients' ‖∇W₁‖/‖∇W_L‖ (AUTOTRAINER) and the
    /// back-propagated signal's ‖δ₁‖/‖δ_L‖. In ReLU nets the second catches what the first
    /// misses: δ grows toward the input while the forward activations shrink toward it, so
    /// ∇W_l = δ_l·x_{l−1}ᵀ looks flat even as the signal explodes.
    static func explodingRatio(_ layers: [LayerStats], _ threshold: Double, step: Int) -> Verdict? {
        guard layers.count >= 3, let first = layers.first, let last = layers.last, last.gradNorm > 0 else { return nil }
        let ratio = first.gradNorm / last.gradNorm, signal = first.gainProduct
        let factors = Double(layers.count - 1)
        if ratio.isFinite, ratio > threshold {
            return Verdict(kind: .exploding, layers: layers.dropLast().filter { $0.gradNorm / last.gradNorm > 10 }.map(\.layer), firstStep: step, predicted: false,
                           evidence: String(format: "‖∇W₁‖/‖∇W_%d‖ = %.1e: the gradient grows ×%.2f per layer toward the input", last.layer, ratio, Foundation.pow(ratio, 1 / factors)),
                           explanation: "every layer multiplies the gradient by a factor above 1, so the early layers get huge updates.",
                           remedies: remedies(.exploding, layers))
        }
        if signal.isFinite, signal > threshold {
            return Verdict(kind: .exploding, layers: layers.dropLast().filter { $0.gainProduct > 10 }.map(\.layer), firstStep: step, predicted: false,
                           evidence: String(format: "‖δ₁‖/‖δ_%d‖ = %.1e: the back-propagated signal grows ×%.2f per layer over %.0f layers (weight gradients look flat because the forward activations shrink by the same factor toward the input)",
                                            last.layer, signal, Foundation.pow(signal, 1 / factors), factors),
                           explanation: "each layer's factor W_kᵀ·diag(φ') is above 1, so the signal and the activations grow geometrically with depth and the first steps overshoot.",
                           remedies: remedies(.exploding, layers))
        }
        return nil
    }

    static func growing(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds) -> Bool {
        guard i >= t.window else { return false }
        let w = steps[(i - t.window)...i]
        let norms = w.map(\.gradNorm)
        guard norms.allSatisfy({ $0.isFinite && $0 > 0 }) else { return false }
        let doubling = zip(norms, norms.dropFirst()).allSatisfy { $1 > 2 * $0 }
        return doubling && w.last!.loss >= w.first!.loss
    }

    static func dead(_ layers: [LayerStats], _ t: DiagnosisThresholds, step: Int) -> Verdict? {
        let deadLayers = layers.filter { ($0.deadFraction ?? 0) > t.deadFraction }
        let zeros = layers.map(\.gradZeroFraction)
        let meanZero = zeros.reduce(0, +) / Double(Swift.max(zeros.count, 1))
        // Narrow healthy ReLU nets have a few dead units by chance: require the model-wide
        // zero-gradient share (AUTOTRAINER's γ) or a layer that is (almost) entirely dead.
        let wholeLayer = layers.contains { ($0.deadFraction ?? 0) >= t.deadLayerFraction }
        guard !deadLayers.isEmpty, meanZero >= t.zeroGradientFraction || wholeLayer else { return nil }
        let worst = deadLayers.max { ($0.deadFraction ?? 0) < ($1.deadFraction ?? 0) }
        let evidence = worst.map { String(format: "%.0f%% of layer %d's ReLU units output 0 for every sample; %.0f%% of weight-gradient entries are exactly 0",
                                          ($0.deadFraction ?? 0) * 100, $0.layer, meanZero * 100) }
            ?? String(format: "%.0f%% of weight-gradient entries are exactly 0", meanZero * 100)
        return Verdict(kind: .deadReLU, layers: deadLayers.map(\.layer), firstStep: step, predicted: false, evidence: evidence,
                       explanation: "a ReLU whose input is negative for every sample passes no gradient, so it can never recover: those units are dead.",
                       remedies: remedies(.deadReLU, layers))
    }

    static func saturated(_ layers: [LayerStats], _ t: DiagnosisThresholds, step: Int) -> Verdict? {
        let sat = layers.filter { ($0.saturatedFraction ?? 0) > t.saturatedFraction }
        guard let worst = sat.max(by: { ($0.saturatedFraction ?? 0) < ($1.saturatedFraction ?? 0) }) else { return nil }
        return Verdict(kind: .saturation, layers: sat.map(\.layer), firstStep: step, predicted: false,
                       evidence: String(format: "%.0f%% of layer %d's %@ inputs have |z| > 5", (worst.saturatedFraction ?? 0) * 100, worst.layer, worst.activation ?? "?"),
                       explanation: "a saturated sigmoid/tanh unit has derivative ≈ 0, so it passes (almost) no gradient back.",
                       remedies: remedies(.saturation, layers))
    }

    static func symmetric(_ layers: [LayerStats], step: Int) -> Verdict? {
        let flat = layers.filter { ($0.weightStd ?? 1) == 0 }
        guard !flat.isEmpty else { return nil }
        return Verdict(kind: .poorInit, layers: flat.map(\.layer), firstStep: step, predicted: false,
                       evidence: "every weight of layer\(flat.count > 1 ? "s" : "") \(Verdict.ranges(flat.map(\.layer))) has the same value (standard deviation 0)",
                       explanation: "identical weights give identical units and identical gradients: the units can never become different (broken symmetry is needed).",
                       remedies: remedies(.poorInit, layers))
    }

    static func updateRatio(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds) -> Verdict? {
        let s = steps[i]
        let measured = s.layers.filter { $0.updateRatio.isFinite && $0.weightNorm > 0 }
        guard !measured.isEmpty else { return nil }
        if let big = measured.filter({ $0.updateRatio > t.updateRatioHigh }).max(by: { $0.updateRatio < $1.updateRatio }) {
            return Verdict(kind: .updateRatio, layers: measured.filter { $0.updateRatio > t.updateRatioHigh }.map(\.layer), firstStep: s.step, predicted: false,
                           evidence: String(format: "‖ΔW‖/‖W‖ = %.2g in layer %d: one step moved the weights by more than their size", big.updateRatio, big.layer),
                           explanation: "updates larger than the weights overwrite what the layer knew; training cannot settle.",
                           remedies: remedies(.updateRatio, s.layers))
        }
        guard i >= t.window else { return nil }
        let window = steps[(i - t.window)...i]
        let small = window.allSatisfy { st in
            let m = st.layers.filter { $0.updateRatio.isFinite && $0.weightNorm > 0 }
            return !m.isEmpty && m.allSatisfy { $0.updateRatio < t.updateRatioLow }
        }
        guard small else { return nil }
        let top = measured.map(\.updateRatio).max() ?? 0
        return Verdict(kind: .updateRatio, layers: measured.map(\.layer), firstStep: s.step, predicted: false,
                       evidence: String(format: "‖ΔW‖/‖W‖ ≤ %.1e in every layer for %d checks (healthy ≈ 1e-3)", top, t.window + 1),
                       explanation: "each step changes the weights by a negligible fraction: at this rate training will take forever.",
                       remedies: remedies(.notDecreasing, s.layers))
    }

    static func unchanged(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds) -> Verdict? {
        guard i >= t.window else { return nil }
        let window = steps[(i - t.window)...i]
        let layers = steps[i].layers
        let still = layers.filter { l in
            window.allSatisfy { st in
                let x = st.layers[l.layer - 1]
                return x.updateNorm.isFinite && x.updateNorm <= t.unchangedAbsolute + t.unchangedRelative * x.weightNorm
            }
        }
        guard !still.isEmpty else { return nil }
        return Verdict(kind: .unchanged, layers: still.map(\.layer), firstStep: steps[i].step, predicted: false,
                       evidence: "the weights of layer\(still.count > 1 ? "s" : "") \(Verdict.ranges(still.map(\.layer))) did not change (‖ΔW‖ ≤ 1e-7‖W‖) over \(t.window + 1) checks",
                       explanation: "no gradient reaches these weights (or the step is zero), so they never learn.",
                       remedies: remedies(.unchanged, layers))
    }

    /// Rule 12 on the fixed-batch loss when every probed step so far carries one (no
    /// mini-batch noise), else on the training loss smoothed over 5 checks.
    static func plateau(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds) -> Verdict? {
        let span = steps[i].step - steps[0].step
        guard span >= t.plateauSteps, let j = steps.lastIndex(where: { $0.step <= steps[i].step - t.plateauSteps }) else { return nil }
        let fixed = steps[...i].allSatisfy { $0.fixedLoss != nil }
        let now: Double, then: Double, start: Double
        if fixed {
            (now, then, start) = (steps[i].fixedLoss!, steps[j].fixedLoss!, steps[0].fixedLoss!)
        } else {
            (now, then, start) = (smoothed(steps, upTo: i), smoothed(steps, upTo: j), smoothed(steps, upTo: Swift.min(4, i)))
        }
        guard now.isFinite, then.isFinite, then > 0, now > t.plateauLossFraction * start else { return nil }
        let decrease = (then - now) / then
        guard decrease < t.plateauDecrease else { return nil }
        return Verdict(kind: .notDecreasing, layers: [], firstStep: steps[i].step, predicted: false,
                       evidence: String(format: "%@ loss %.4g → %.4g over %d steps (%.2f%% decrease), still %.0f%% of its start", fixed ? "fixed-batch" : "smoothed",
                                        then, now, steps[i].step - steps[j].step, decrease * 100, now / start * 100),
                       explanation: "the loss has stopped falling long before the model fits the data.",
                       remedies: remedies(.notDecreasing, steps[i].layers))
    }

    /// The fixed-batch losses of steps[...i] as (step, loss) points, from the probed steps that
    /// carry one (the probe measures it on request: `Probe.Options.fixedBatchEvery`).
    /// Mini-batch losses are not used: at small batch sizes their noise alone flips direction
    /// half the time and swings far from the level, which is what rule 13 looks for.
    static func fixedLosses(_ steps: [ProbeStep], upTo i: Int) -> [(step: Int, loss: Double)] {
        steps[...i].compactMap { s in s.fixedLoss.map { (s.step, $0) } }
    }

    /// Rule 13: the loss oscillates. Over the last `oscillationWindow` fixed-batch losses it
    /// changes direction on most steps, moves a large fraction of its level each step, climbs
    /// back much of what it falls (no overall progress), and is still far from fitted.
    static func oscillation(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds) -> Verdict? {
        let points = fixedLosses(steps, upTo: i)
        let n = t.oscillationWindow
        guard n >= 4, points.count >= n, let first = points.first?.loss, first.isFinite, first > 0 else { return nil }
        let w = points.suffix(n).map(\.loss)
        guard w.allSatisfy({ $0.isFinite }) else { return nil }
        let level = w.reduce(0, +) / Double(n)
        guard level > 0, level >= t.oscillationMinLevel * first else { return nil }
        let d = zip(w, w.dropFirst()).map { $1 - $0 }
        let moves = d.filter { abs($0) > t.oscillationDeadband * level }
        // Too few real moves to speak of a direction (a flat, stuck loss is rule 12's case).
        guard moves.count >= n / 2 else { return nil }
        let flips = Double(zip(moves, moves.dropFirst()).filter { ($0 > 0) != ($1 > 0) }.count) / Double(moves.count - 1)
        let swing = median(d.map { abs($0) }) / median(w)
        let rises = d.reduce(0) { $0 + Swift.max($1, 0) }, falls = d.reduce(0) { $0 + Swift.max(-$1, 0) }
        guard flips > t.oscillationFlips, swing >= t.oscillationSwing, rises >= t.oscillationRiseFall * falls else { return nil }
        let s = steps[i]
        let lr = s.learningRate > 0 ? String(format: " at learning rate %.3g", s.learningRate) : ""
        return Verdict(kind: .oscillation, layers: [], firstStep: s.step, predicted: false,
                       evidence: String(format: "over the last %d probed steps%@ the fixed-batch loss changed direction on %.0f%% of its moves (above %.0f%%), typically by %.0f%% of its level %.3g per step (range %.3g–%.3g), and climbed back %.0f%% of what it fell",
                                        n, lr, flips * 100, t.oscillationFlips * 100, swing * 100, median(w), w.min() ?? 0, w.max() ?? 0, falls > 0 ? rises / falls * 100 : 100),
                       explanation: "the steps overshoot the valley floor along its steepest directions, so each update undoes much of the last one: the loss bounces instead of settling.",
                       remedies: remedies(.oscillation, s.layers))
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Rule 14: the loss falls, but far too slowly. Once `slowSteps` steps are seen, the best
    /// relative improvement of the fixed-batch loss over any `slowWindow` steps is small, the
    /// loss is still well above where it started from, and it is still falling (a loss that has
    /// stopped falling is rule 12's plateau, not this).
    static func slowConvergence(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds) -> Verdict? {
        let points = fixedLosses(steps, upTo: i)
        guard let start = points.first, let now = points.last, now.step == steps[i].step,
              now.step - start.step >= t.slowSteps, start.loss.isFinite, start.loss > 0,
              points.allSatisfy({ $0.loss.isFinite }) else { return nil }
        guard now.loss > t.slowLossFraction * start.loss else { return nil }
        // Still falling: over the last `slowSteps` steps, by more than the plateau threshold.
        guard let back = points.last(where: { $0.step <= now.step - t.slowSteps }), back.loss > 0,
              (back.loss - now.loss) / back.loss >= t.plateauDecrease else { return nil }
        // Best improvement over any window of `slowWindow` steps.
        var best = -Double.infinity, j = 0
        for k in points.indices {
            while j < k && points[j + 1].step <= points[k].step - t.slowWindow { j += 1 }
            guard points[k].step - points[j].step >= t.slowWindow, points[j].loss > 0 else { continue }
            best = Swift.max(best, (points[j].loss - points[k].loss) / points[j].loss)
        }
        guard best.isFinite, best < t.slowImprovement else { return nil }
        let perStep = Foundation.log(1 - Swift.max(best, 1e-12)) / Double(t.slowWindow)
        let toHalve = perStep < 0 ? Foundation.log(0.5) / perStep : .infinity
        let s = steps[i]
        return Verdict(kind: .slowConvergence, layers: [], firstStep: s.step, predicted: false,
                       evidence: String(format: "the fixed-batch loss fell from %.4g to %.4g in %d steps (still %.0f%% of its start); its best improvement over %d steps was %.1f%% (below %.0f%%): at that rate, halving it takes %@ steps",
                                        start.loss, now.loss, now.step - start.step, now.loss / start.loss * 100, t.slowWindow, best * 100, t.slowImprovement * 100,
                                        toHalve.isFinite ? String(format: "%.0f", toHalve) : "forever"),
                       explanation: "the loss is moving in the right direction, but each step covers only a sliver of the way: the steps are too small for this landscape (learning rate too low for the optimizer, or badly scaled inputs).",
                       remedies: remedies(.slowConvergence, s.layers))
    }

    /// Remedies ranked by the evidence in the repair literature (init matched to the activation
    /// first, then activation swaps, then normalization/residuals, then clipping).
    static func remedies(_ kind: Verdict.Kind, _ layers: [LayerStats]) -> [String] {
        let acts = Set(layers.compactMap(\.activation))
        switch kind {
        case .vanishing:
            var r: [String] = []
            if acts.contains("sigmoid") { r.append("replace sigmoid with ReLU + He init (--activation relu --init he-normal), or tanh at the critical σ_w² ≈ 1") }
            if acts.contains("tanh") { r.append("initialize tanh at the edge of chaos: σ_w² ≈ 1 (--init normal --sigma-w2 1) or orthogonal") }
            if acts.contains("relu") { r.append("use He init for ReLU (--init he-normal): σ_w² = 2 keeps the gradient's size") }
            r += ["use SELU + LeCun normal (--activation selu --init lecun-normal)", "add normalization or residual connections",
                  "use fewer layers"]
            return r
        case .exploding, .nonFinite, .lossBlowUp:
            return ["lower the weight scale to match the activation (He σ_w² = 2 for ReLU, ≈ 1 for tanh)",
                    "lower the learning rate ×10 (--lr)", "clip gradients by global norm (--clip-norm 1)",
                    "standardize the inputs", "switch to Adam (--optimizer adam)"]
        case .deadReLU:
            return ["initialize biases at 0 (or small positive) and centre the inputs", "use leaky ReLU, ELU or SELU (--activation leakyRelu)",
                    "use He init (--init he-normal)", "lower the learning rate"]
        case .saturation:
            return ["standardize the inputs (zero mean, unit variance)", "use a smaller initial scale (Glorot or LeCun)",
                    "use a non-saturating activation (ReLU family)"]
        case .poorInit:
            return ["use a random initializer matched to the activation (He for ReLU, Glorot/critical σ_w² for tanh, LeCun for SELU)"]
        case .updateRatio:
            return ["lower the learning rate ×10 (--lr)", "clip gradients by global norm (--clip-norm 1)", "use learning-rate warm-up (--warmup 100)"]
        case .unchanged:
            return ["check that every layer receives a gradient (frozen or disconnected parameters?)", "raise the learning rate ×10",
                    "use a random initializer"]
        case .notDecreasing:
            return ["raise the learning rate ×10 (--lr)", "switch to Adam (--optimizer adam)", "check the initialization (see other verdicts)"]
        case .oscillation:
            // AUTOTRAINER's oscillation repairs were decided by the optimizer (20) and the
            // learning rate (10); the rate comes first here because it applies whatever the
            // optimizer (an Adam run at too large a rate bounces too), then batch size and momentum.
            return ["lower the learning rate ×10 (--lr)", "switch to Adam at its default rate (--optimizer adam --lr 0.001)",
                    "use a larger batch (--batch 32 or more): less noisy steps", "lower the momentum (--momentum 0.5) or decay the learning rate (--schedule cosine)"]
        case .slowConvergence:
            // AUTOTRAINER's slow-convergence repairs: the optimizer decided 147 of 160, the learning rate the rest.
            return ["switch to Adam (--optimizer adam --lr 0.001)", "raise the learning rate ×10 (--lr)",
                    "standardize the inputs or add normalization (--normalization layer)", "check the initialization (see other verdicts)"]
        }
    }
}
