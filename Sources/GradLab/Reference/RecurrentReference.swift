/// Readable recurrence: each step written with ordinary tape ops (linear, sigmoid, tanh, ⊙),
/// exactly the cell equations of `RecurrentCell`. It is the test oracle for the fused
/// `Var.recurrence` (same shapes, parameters and truncation rule) and far slower.
extension Var {
    package func referenceRecurrence(_ cell: RecurrentCell, weightIH: Var, weightHH: Var, biasIH: Var, biasHH: Var,
                                    truncation: Int? = nil) -> Var {
        let (B, T, I) = (shape[0], shape[1], shape[2]), H = weightHH.shape[1]
        var h = tape.constant(Tensor(zeros: [B, H])), c = h
        var outputs: [Var] = []
        for t in 0..<T {
            if let k = truncation, t > 0, t % k == 0 { h = tape.constant(h.value); c = tape.constant(c.value) }
            let x = slice(axis: 1, t..<(t + 1)).reshaped([B, I])
            let gx = x.linear(weight: weightIH, bias: biasIH), gh = h.linear(weight: weightHH, bias: biasHH)
            func part(_ v: Var, _ k: Int) -> Var { v.slice(axis: 1, (k * H)..<((k + 1) * H)) }
            switch cell {
            case .rnnTanh: h = (gx + gh).tanh()
            case .rnnRelu: h = (gx + gh).relu()
            case .lstm:
                let gates = gx + gh
                let (i, f, g, o) = (part(gates, 0).sigmoid(), part(gates, 1).sigmoid(), part(gates, 2).tanh(), part(gates, 3).sigmoid())
                c = f * c + i * g
                h = o * c.tanh()
            case .gru:
                let r = (part(gx, 0) + part(gh, 0)).sigmoid(), z = (part(gx, 1) + part(gh, 1)).sigmoid()
                let n = (part(gx, 2) + r * part(gh, 2)).tanh()
                h = n + z * (h - n)            // (1 − z)⊙n + z⊙h
            }
            outputs.append(h.reshaped([B, 1, H]))
        }
        return Var.concat(outputs, axis: 1)
    }
}
