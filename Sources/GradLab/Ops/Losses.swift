import RealModule

/// Losses, each the mean over the batch, with hand-derived fused backward rules.
extension Var {
    /// Mean squared error mean((ŷ − y)²) over all elements; d/dŷ = 2(ŷ − y)/N.
    @_specialize(where S == Float)
    public func mseLoss(_ target: Tensor<S>) -> Var {
        precondition(shape == target.shape, "mse: prediction \(shape) vs target \(target.shape)")
        let diff = value - target, n = S(value.count)
        let loss = diff.scalars.reduce(0) { $0 + $1 * $1 } / n
        return tape.record(Tensor(loss), inputs: [self]) { g, put in put(self.id, diff * (2 * g.item / n)) }
    }

    /// Binary cross-entropy on probabilities p ∈ (0,1): −mean(y log p + (1−y) log(1−p)).
    /// p is clamped to [ε, 1−ε] (ε = 1e-7) so a saturated sigmoid gives a large finite loss, not Inf.
    @_specialize(where S == Float)
    public func binaryCrossEntropy(_ target: Tensor<S>) -> Var {
        precondition(shape == target.shape, "bce: prediction \(shape) vs target \(target.shape)")
        let eps = S(1e-7), n = S(value.count)
        let p = value.map { Swift.min(Swift.max($0, eps), 1 - eps) }
        var loss: S = 0
        for i in 0..<p.count { let y = target.scalars[i]; loss -= y * S.log(p.scalars[i]) + (1 - y) * S.log(1 - p.scalars[i]) }
        return tape.record(Tensor(loss / n), inputs: [self]) { g, put in
            put(self.id, p.zip(target) { pi, yi in (pi - yi) / (pi * (1 - pi)) } * (g.item / n))
        }
    }

    /// Binary cross-entropy from logits z, stable for any z:
    /// mean(max(z,0) − z·y + log(1 + e^{−|z|})); d/dz = (σ(z) − y)/N.
    @_specialize(where S == Float)
    public func binaryCrossEntropy(logits target: Tensor<S>) -> Var {
        precondition(shape == target.shape, "bce: logits \(shape) vs target \(target.shape)")
        let n = S(value.count)
        var loss: S = 0
        for i in 0..<value.count {
            let z = value.scalars[i], y = target.scalars[i]
            loss += Swift.max(z, 0) - z * y + S.log(onePlus: S.exp(-Swift.abs(z)))
        }
        let z = value
        return tape.record(Tensor(loss / n), inputs: [self]) { g, put in
            put(self.id, z.zip(target) { zi, yi in ActivationKind.sigmoid.reference(zi) - yi } * (g.item / n))
        }
    }

    /// Softmax cross-entropy from logits [batch, classes] and integer labels, mean over the batch.
    /// Uses log-sum-exp with the row max subtracted, so any finite logits give a finite loss.
    /// d/dz = (softmax(z) − onehot(y))/B.
    @_specialize(where S == Float)
    public func softmaxCrossEntropy(labels: [Int]) -> Var {
        precondition(value.rank == 2, "softmax cross-entropy expects logits [batch, classes], got \(shape)")
        let (b, c) = (shape[0], shape[1])
        precondition(labels.count == b, "\(labels.count) labels for a batch of \(b)")
        var probs = value
        var loss: S = 0
        probs.scalars.withUnsafeMutableBufferPointer { p in
            for i in 0..<b {
                let row = p.baseAddress! + i * c
                var mx = row[0]
                for j in 1..<c { mx = Swift.max(mx, row[j]) }
                var sum: S = 0
                for j in 0..<c { let e = S.exp(row[j] - mx); row[j] = e; sum += e }
                let label = labels[i]
                precondition(label >= 0 && label < c, "label \(label) outside 0..<\(c)")
                loss += S.log(sum) - (value.scalars[i * c + label] - mx)   // log-sum-exp: finite for any finite logits
                let inv = 1 / sum
                for j in 0..<c { row[j] *= inv }
            }
        }
        return tape.record(Tensor(loss / S(b)), inputs: [self]) { g, put in
            var d = probs
            for i in 0..<b { d.scalars[i * c + labels[i]] -= 1 }
            put(self.id, d * (g.item / S(b)))
        }
    }

    /// log softmax along the last axis of [batch, classes]; backward dz = g − softmax·Σg.
    @_specialize(where S == Float)
    public func logSoftmax() -> Var {
        precondition(value.rank == 2, "logSoftmax expects [batch, classes], got \(shape)")
        let (b, c) = (shape[0], shape[1])
        var out = value
        for i in 0..<b {
            var mx = out.scalars[i * c]
            for j in 1..<c { mx = Swift.max(mx, out.scalars[i * c + j]) }
            var sum: S = 0
            for j in 0..<c { sum += S.exp(out.scalars[i * c + j] - mx) }
            let lse = mx + S.log(sum)
            for j in 0..<c { out.scalars[i * c + j] -= lse }
        }
        return tape.record(out, inputs: [self]) { g, put in
            var d = g
            for i in 0..<b {
                var gs: S = 0
                for j in 0..<c { gs += g.scalars[i * c + j] }
                for j in 0..<c { d.scalars[i * c + j] -= S.exp(out.scalars[i * c + j]) * gs }
            }
            put(self.id, d)
        }
    }

    /// Inverted dropout: in training, zero each element with probability `p` and scale the rest by
    /// 1/(1−p) so the expected value is unchanged; identity in evaluation.
    @_specialize(where S == Float)
    public func dropout(_ p: Double) -> Var {
        precondition(p >= 0 && p < 1, "dropout probability must be in [0, 1), got \(p)")
        guard tape.isTraining, p > 0 else { return self }
        let keep = S(1 / (1 - p))
        var mask = [S](repeating: 0, count: value.count)
        for i in 0..<mask.count { mask[i] = tape.rng.uniform() >= p ? keep : 0 }
        let m = Tensor(shape: shape, scalars: mask)
        return tape.record(value * m, inputs: [self]) { g, put in put(self.id, g * m) }
    }
}

/// Fraction of rows of `logits` whose arg-max equals the label.
public func accuracy<S: Scalar>(logits: Tensor<S>, labels: [Int]) -> Double {
    precondition(logits.rank == 2 && logits.shape[0] == labels.count, "accuracy: logits \(logits.shape) vs \(labels.count) labels")
    guard !labels.isEmpty else { return .nan }
    let idx = logits.max(axis: 1).indices
    return Double(zip(idx, labels).filter { $0 == $1 }.count) / Double(labels.count)
}
