/// Shape ops. Their backward rules move gradients back to where the elements came from.
extension Var {
    @_specialize(where S == Float)
    public func reshaped(_ shape: [Int]) -> Var {
        let old = self.shape
        return tape.record(value.reshaped(shape), inputs: [self]) { g, put in put(self.id, g.reshaped(old)) }
    }
    @_specialize(where S == Float)
    public func permuted(_ order: [Int]) -> Var {
        var inverse = order
        for (i, o) in order.enumerated() { inverse[o] = i }
        return tape.record(value.permuted(order), inputs: [self]) { g, put in put(self.id, g.permuted(inverse)) }
    }
    public var transposed: Var {
        var order = Array(0..<shape.count); order.swapAt(shape.count - 1, shape.count - 2)
        return permuted(order)
    }
    @_specialize(where S == Float)
    public func slice(axis: Int, _ range: Range<Int>) -> Var {
        let shape = self.shape, ax = value.normalizedAxis(axis)
        return tape.record(value.slice(axis: ax, range), inputs: [self]) { g, put in
            var parts: [Tensor<S>] = []
            var before = shape; before[ax] = range.lowerBound
            var after = shape; after[ax] = shape[ax] - range.upperBound
            if range.lowerBound > 0 { parts.append(Tensor(zeros: before)) }
            parts.append(g)
            if after[ax] > 0 { parts.append(Tensor(zeros: after)) }
            put(self.id, Tensor.concat(parts, axis: ax))
        }
    }
    @_specialize(where S == Float)
    public static func concat(_ parts: [Var], axis: Int) -> Var {
        let ax = parts[0].value.normalizedAxis(axis)
        return parts[0].tape.record(Tensor.concat(parts.map(\.value), axis: ax), inputs: parts) { g, put in
            var start = 0
            for p in parts { put(p.id, g.slice(axis: ax, start..<(start + p.shape[ax]))); start += p.shape[ax] }
        }
    }
}
