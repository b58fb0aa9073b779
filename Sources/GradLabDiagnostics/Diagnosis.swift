import Foundation
import GradLab

/// A named problem found in the probe's stream, with the layers, the step it was first seen,
/// the numbers that triggered it, the mechanism in plain words, and remedies ranked best first.
public struct Verdict: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, CaseIterable, Sendable {
        case nonFinite = "non-finite", lossBlowUp = "loss-blow-up", vanishing, exploding
        case updateRatio = "update-ratio", deadReLU = "dead-relu", saturation, poorInit = "poor-init"
        case unchanged, notDecreasing = "loss-not-decreasing"
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

/// Thresholds of the rules (defaults from the published debuggers; see the reference notes).
public struct DiagnosisThresholds: Codable, Equatable, Sendable {
    /// Rule 2: loss at or above this is a blow-up…
    public var lossBlowUp = 1e3
    /// …as is a smoothed loss above this multiple of its minimum while worse than at the start.
    public var lossBlowUpFactor = 2.0
    /// Rule 3: ‖∇W₁‖/‖∇W_L‖ below this, together with ‖∇W₁‖ below `vanishingAbsolute`.
    public var vanishingRatio = 1e-3
    public var vanishingAbsolute = 1e-4
    /// Rule 4: mean |∇W| below this in any layer.
    public var vanishingMeanAbs = 1e-7
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
    /// Rule 12: relative decrease of the smoothed loss over `plateauSteps` below this…
    public var plateauDecrease = 1e-3
    public var plateauSteps = 100
    /// …while the loss is still above this fraction of its starting value (it never learned).
    public var plateauLossFraction = 0.9
    /// Rule 11: a layer is unchanged when ‖ΔW‖ ≤ absolute + relative·‖W‖ on every check of the window.
    public var unchangedAbsolute = 1e-8
    public var unchangedRelative = 1e-7
    /// Through time (recurrent layers): ‖∂L/∂h_1‖/‖∂L/∂h_T‖ below this is vanishing, above
    /// `explodingTimeRatio` exploding, when it holds on `window` consecutive checks (or at step 0).
    public var vanishingTimeRatio = 1e-4
    public var explodingTimeRatio = 1e4
    /// Trend rules and "unchanged" look at this many consecutive checks.
    public var window = 5
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
        out += throughTime([step0], upTo: 0, t)
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
        if let v = layers.first(where: { $0.gradMeanAbs < t.vanishingMeanAbs && $0.gradNonFinite == 0 && $0.layer < layers.count }) {
            let tiny = layers.filter { $0.gradMeanAbs < t.vanishingMeanAbs && $0.layer < layers.count }.map(\.layer)
            out.append(Verdict(kind: .vanishing, layers: tiny, firstStep: s.step, predicted: false,
                               evidence: String(format: "mean |∇W| = %.1e in layer %d (below %.0e)", v.gradMeanAbs, v.layer, t.vanishingMeanAbs),
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
        return out
    }

    /// Vanishing and exploding through time in recurrent layers: the same product of factors,
    /// one per time step instead of one per layer (Bengio et al. 1994; Pascanu et al. 2013).
    static func throughTime(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds) -> [Verdict] {
        let s = steps[i], recent = steps[Swift.max(0, i - t.window + 1)...i]
        return s.time.compactMap { r -> Verdict? in
            func holds(_ test: (Double) -> Bool) -> Bool {
                recent.allSatisfy { step in step.time.first { $0.name == r.name }.map { test($0.firstToLast) } ?? false }
            }
            let vanishing = holds { $0 < t.vanishingTimeRatio }, exploding = holds { $0 > t.explodingTimeRatio }
            guard vanishing || exploding, r.firstToLast.isFinite else { return nil }
            let T = r.gradNormByTime.count
            let perStep = Foundation.pow(r.firstToLast, 1 / Double(Swift.max(T - 1, 1)))
            var evidence = String(format: "in %@ (%@) the gradient at step 1 is %.1e of the gradient at step %d: ×%.3f per step back over %d steps",
                                  r.name, r.cell, r.firstToLast, T, perStep, T - 1)
            if let rho = r.spectralRadius, let sigma = r.sigmaMax {
                evidence += String(format: "; recurrent weights: spectral radius %.2f, σ_max %.2f", rho, sigma)
            }
            if r.cell == "lstm" || r.cell == "gru" {
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

    static func vanishing(_ layers: [LayerStats], _ t: DiagnosisThresholds, step: Int) -> Verdict? {
        guard layers.count >= 3, let first = layers.first, let last = layers.last, last.gradNorm > 0,
              first.gradNonFinite == 0, last.gradNonFinite == 0 else { return nil }
        let ratio = first.gradNorm / last.gradNorm
        guard ratio < t.vanishingRatio, first.gradNorm < t.vanishingAbsolute else { return nil }
        // Where the decay starts: layers whose gradient is below 1e-3 of the top layer's.
        let weak = layers.dropLast().filter { $0.gradNorm / last.gradNorm < t.vanishingRatio }.map(\.layer)
        let factors = layers.count - 1
        let perLayer = Foundation.pow(ratio, 1 / Double(factors))
        let gains = layers.compactMap(\.gain).filter { $0.isFinite && $0 > 0 }
        let meanGain = gains.isEmpty ? perLayer : Foundation.exp(gains.map { Foundation.log($0) }.reduce(0, +) / Double(gains.count))
        var evidence = String(format: "‖∇W₁‖/‖∇W_%d‖ = %.1e, ‖∇W₁‖ = %.1e; the back-propagated signal shrinks ×%.2f per layer, %d factors multiply to %.1e",
                              last.layer, ratio, first.gradNorm, meanGain, factors, first.gainProduct)
        let sat = layers.compactMap(\.saturatedFraction)
        if let m = sat.max(), m > 0.05 { evidence += String(format: "; up to %.0f%% of units saturated", m * 100) }
        return Verdict(kind: .vanishing, layers: weak.isEmpty ? [first.layer] : weak, firstStep: step, predicted: false,
                       evidence: evidence,
                       explanation: "every layer multiplies the gradient by a factor below 1 (σ'·‖W‖), so the early layers get almost nothing and barely learn.",
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

    static func plateau(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds) -> Verdict? {
        let span = steps[i].step - steps[0].step
        guard span >= t.plateauSteps, let j = steps.lastIndex(where: { $0.step <= steps[i].step - t.plateauSteps }) else { return nil }
        let now = smoothed(steps, upTo: i), then = smoothed(steps, upTo: j), start = smoothed(steps, upTo: Swift.min(4, i))
        guard now.isFinite, then.isFinite, then > 0, now > t.plateauLossFraction * start else { return nil }
        let decrease = (then - now) / then
        guard decrease < t.plateauDecrease else { return nil }
        return Verdict(kind: .notDecreasing, layers: [], firstStep: steps[i].step, predicted: false,
                       evidence: String(format: "smoothed loss %.4g → %.4g over %d steps (%.2f%% decrease), still %.0f%% of its start", then, now, steps[i].step - steps[j].step, decrease * 100, now / start * 100),
                       explanation: "the loss has stopped falling long before the model fits the data.",
                       remedies: remedies(.notDecreasing, steps[i].layers))
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
        }
    }
}
