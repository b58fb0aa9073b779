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
    /// Not learning (`NotLearningRule`), judged on the run's second half once it spans this many
    /// steps: accuracy within `stuckAccuracyMargin` of chance, or loss above
    /// `stuckLossFraction` of the constant answer's…
    public var stuckMinSteps = 100
    public var stuckAccuracyMargin = 0.05
    public var stuckLossFraction = 0.98
    /// …blamed on the signal when ‖δ₁‖/‖δ_L‖ is beyond this factor either way, on the learning
    /// rate when the median ‖ΔW‖/‖W‖ is below `stuckUpdateRatioLow`.
    public var stuckSignalRatio = 10.0
    public var stuckUpdateRatioLow = 1e-5
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
