/// Unit-wise adaptive gradient clipping (AGC; Brock, De, Smith & Simonyan 2021, NFNets).
///
/// For each unit i, with W_i its weights and G_i their gradient:
///   if ‖G_i‖ / max(‖W_i‖, ε) > λ  then  G_i ← λ·max(‖W_i‖, ε)/‖G_i‖ · G_i.
/// A unit is a row of the weight (output neuron i of a Dense weight [out, in], trailing axes
/// flattened), one element of a bias, or a whole scalar parameter. ε keeps zero-initialized
/// weights from freezing. Note: the NFNets code treats a bias vector as one unit; here each
/// element is its own unit, matching the row it belongs to.
///
/// Clips `Parameter.grad` in place and returns the number of units clipped. Units whose gradient
/// norm is not finite are left alone (the non-finite guard skips such steps). Norms are in Double.
@discardableResult
public func adaptiveClip<S: Scalar>(_ params: [Parameter<S>], lambda: Double, epsilon: Double = 1e-3) -> Int {
    var clipped = 0
    for p in params {
        guard let gShape = p.grad?.shape else { continue }
        precondition(gShape == p.value.shape, "gradient shape \(gShape) ≠ parameter shape \(p.value.shape)")
        // Rank ≥ 2: one unit per leading index; rank ≤ 1: one unit per element.
        let unit = p.value.rank >= 2 ? p.value.count / Swift.max(p.value.shape[0], 1) : 1
        guard unit > 0 else { continue }
        let w = p.value.scalars
        p.grad!.scalars.withUnsafeMutableBufferPointer { gp in
            var start = 0
            while start < gp.count {
                var ww = 0.0, gg = 0.0
                for i in start..<(start + unit) {
                    let wi = Double(w[i]), gi = Double(gp[i])
                    ww += wi * wi; gg += gi * gi
                }
                let wNorm = Swift.max(ww.squareRoot(), epsilon), gNorm = gg.squareRoot()
                if gNorm.isFinite, gNorm > lambda * wNorm {
                    let s = S(lambda * wNorm / gNorm)
                    for i in start..<(start + unit) { gp[i] *= s }
                    clipped += 1
                }
                start += unit
            }
        }
    }
    return clipped
}
