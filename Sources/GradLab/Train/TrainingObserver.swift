/// The one instrumentation seam. Whatever watches training — the gradient probe, the run store's
/// recorder, TensorBoard, a live chart — implements the calls it needs; every call has a default
/// that does nothing. The trainer calls the step events and hands its observers to each step's
/// tape; through the tape, containers (`Sequential`), activation ops, the fused recurrence and the
/// backward sweep call the rest. A forward/backward outside a trainer is observed by setting
/// `Tape.observers` directly.
///
/// Order within a step: `stepWillStart` → forward (`layerOutput`, `recurrence(.forward)`) →
/// backward (`activationStatistics`, `parameterGradient`, `recurrence(.timeGradients)`) →
/// `stepWillUpdate` → the optimizer's update → `stepDidFinish`.
public protocol TrainingObserver<S>: AnyObject {
    associatedtype S: Scalar
    /// Before step `step`'s forward pass.
    func stepWillStart(_ step: Int, trainer: Trainer<S>)
    /// Whether the optimizer should measure ‖ΔW‖ and ‖W‖ of every parameter in this step
    /// (`Optimizer.lastUpdateNorms`), asked after `stepWillStart`.
    func wantsUpdateNorms(step: Int) -> Bool
    /// Layer `index` of `container` produced `output` (forward pass; the value is still in cache).
    func layerOutput(_ output: Var<S>, index: Int, container: Sequential<S>)
    /// |y| beyond which units of `kind` count as saturated, if this observer wants activation ops to
    /// measure their output and the gradient they pass down during backward (one sweep); nil: no.
    func saturationThreshold(_ kind: ActivationKind) -> Double?
    /// What an activation op measured during backward for this observer (the first whose
    /// `saturationThreshold` asked), keyed by its input's node, with the storage of the gradient
    /// it passed down.
    func activationStatistics(input: Int, _ statistics: ActivationGradientStatistics, gradient: UnsafeRawPointer?)
    /// `parameter`'s gradient from this backward pass is complete (before it is accumulated).
    func parameterGradient(_ parameter: Parameter<S>, _ gradient: Tensor<S>)
    /// Whether this observer wants `layer`'s fused recurrence to measure and report its events in
    /// this pass (they cost a pass over the gates and, for the LSTM, a copy of c_T).
    func wantsRecurrenceEvents(layer: ObjectIdentifier) -> Bool
    /// The fused recurrence of `layer` measured something (see `RecurrenceEvent`).
    func recurrence(_ event: RecurrenceEvent, layer: ObjectIdentifier)
    /// After backward and clipping, before the update (gradients are in `Parameter.grad`).
    func stepWillUpdate(_ step: Int, trainer: Trainer<S>)
    /// At the end of every step, skipped steps included.
    func stepDidFinish(_ record: StepRecord, trainer: Trainer<S>)
    /// After each evaluation on the test set during `Trainer.fit` (at `record.step`).
    func evaluationDidFinish(_ record: EvalRecord, trainer: Trainer<S>)
}

extension TrainingObserver {
    public func stepWillStart(_ step: Int, trainer: Trainer<S>) {}
    public func wantsUpdateNorms(step: Int) -> Bool { false }
    public func layerOutput(_ output: Var<S>, index: Int, container: Sequential<S>) {}
    public func saturationThreshold(_ kind: ActivationKind) -> Double? { nil }
    public func activationStatistics(input: Int, _ statistics: ActivationGradientStatistics, gradient: UnsafeRawPointer?) {}
    public func parameterGradient(_ parameter: Parameter<S>, _ gradient: Tensor<S>) {}
    public func wantsRecurrenceEvents(layer: ObjectIdentifier) -> Bool { false }
    public func recurrence(_ event: RecurrenceEvent, layer: ObjectIdentifier) {}
    public func stepWillUpdate(_ step: Int, trainer: Trainer<S>) {}
    public func stepDidFinish(_ record: StepRecord, trainer: Trainer<S>) {}
    public func evaluationDidFinish(_ record: EvalRecord, trainer: Trainer<S>) {}
}

/// What the fused recurrence reports to observers.
public enum RecurrenceEvent: Sendable {
    /// Forward statistics of the layer on this batch.
    case forward(RecurrentForwardStats)
    /// The LSTM's final cell state c_T, [batch·hidden] in time-major order.
    case finalCellState([Double])
    /// ‖∂L/∂h_t‖ for t = 1…T (backward).
    case timeGradients([Double])
}
