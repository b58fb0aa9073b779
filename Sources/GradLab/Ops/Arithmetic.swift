import RealModule

/// Element-wise arithmetic with broadcasting. Backward of a broadcast operand sums the gradient
/// over the stretched axes (`sumToShape`).
extension Var {
    @_specialize(where S == Float)
    public static func + (a: Var, b: Var) -> Var {
        a.tape.record(a.value + b.value, inputs: [a, b]) { g, put in
            put(a.id, g.sumToShape(a.shape)); put(b.id, g.sumToShape(b.shape))
        }
    }
    @_specialize(where S == Float)
    public static func - (a: Var, b: Var) -> Var {
        a.tape.record(a.value - b.value, inputs: [a, b]) { g, put in
            put(a.id, g.sumToShape(a.shape)); put(b.id, g.map { -$0 }.sumToShape(b.shape))
        }
    }
    @_specialize(where S == Float)
    public static func * (a: Var, b: Var) -> Var {
        a.tape.record(a.value * b.value, inputs: [a, b]) { g, put in
            put(a.id, (g * b.value).sumToShape(a.shape)); put(b.id, (g * a.value).sumToShape(b.shape))
        }
    }
    @_specialize(where S == Float)
    public static func / (a: Var, b: Var) -> Var {
        a.tape.record(a.value / b.value, inputs: [a, b]) { g, put in
            put(a.id, (g / b.value).sumToShape(a.shape))
            put(b.id, g.zip(a.value.zip(b.value) { x, y in -x / (y * y) }, *).sumToShape(b.shape))
        }
    }
    public static prefix func - (a: Var) -> Var {
        a.tape.record(a.value.map { -$0 }, inputs: [a]) { g, put in put(a.id, g.map { -$0 }) }
    }
    /// a · s for a constant s.
    @_specialize(where S == Float)
    public static func * (a: Var, s: S) -> Var {
        a.tape.record(a.value * s, inputs: [a]) { g, put in put(a.id, g * s) }
    }

    /// e^x.
    @_specialize(where S == Float)
    public func exp() -> Var {
        let y = value.map { S.exp($0) }
        return tape.record(y, inputs: [self]) { g, put in put(self.id, g * y) }
    }
    /// Natural log; x ≤ 0 gives -inf/NaN as IEEE says (losses clamp before calling it).
    @_specialize(where S == Float)
    public func log() -> Var {
        let x = value
        return tape.record(x.map { S.log($0) }, inputs: [self]) { g, put in put(self.id, g / x) }
    }
    @_specialize(where S == Float)
    public func sqrt() -> Var {
        let y = value.map { $0.squareRoot() }
        return tape.record(y, inputs: [self]) { g, put in put(self.id, g.zip(y) { gi, yi in gi / (2 * yi) }) }
    }
    @_specialize(where S == Float)
    public func squared() -> Var {
        let x = value
        return tape.record(x.map { $0 * $0 }, inputs: [self]) { g, put in put(self.id, g.zip(x) { gi, xi in 2 * gi * xi }) }
    }
    @_specialize(where S == Float)
    public func abs() -> Var {
        let x = value
        return tape.record(x.map { Swift.abs($0) }, inputs: [self]) { g, put in
            put(self.id, g.zip(x) { gi, xi in xi > 0 ? gi : (xi < 0 ? -gi : 0) })
        }
    }
}
