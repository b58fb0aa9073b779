import Foundation

/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
/// mapping each name to {dtype, shape, data_offsets}, an optional "__metadata__" string map, then
/// the raw little-endian tensor bytes. Readable by PyTorch, JAX, NumPy and others.
public enum SafeTensors {
    /// Serializes named tensors (sorted by name) and metadata.
    public static func encode<S: Scalar>(_ tensors: [String: Tensor<S>], metadata: [String: String] = [:]) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var body = Data()
        for name in tensors.keys.sorted() {
            let t = tensors[name]!
            let start = body.count
            t.scalars.withUnsafeBufferPointer { body.append(Data(buffer: $0)) }
            header[name] = ["dtype": S.safetensorsDType, "shape": t.shape, "data_offsets": [start, body.count]]
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }   // pad with spaces: data starts 8-byte aligned
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(body)
        return out
    }

    /// Parses a safetensors file into tensors of `S` (F32 or F64 stored data is converted) and metadata.
    public static func decode<S: Scalar>(_ data: Data, source: String = "checkpoint") throws -> (tensors: [String: Tensor<S>], metadata: [String: String]) {
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw GradLabError.data("\(source): too short to be a safetensors file") }
        let n = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard n > 0, 8 + n <= bytes.count,
              let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as? [String: Any] else {
            throw GradLabError.data("\(source): bad safetensors header")
        }
        let base = 8 + n
        var tensors: [String: Tensor<S>] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" { metadata = value as? [String: String] ?? [:]; continue }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let off = info["data_offsets"] as? [Int], off.count == 2 else {
                throw GradLabError.data("\(source): tensor '\(name)' has a malformed header entry")
            }
            let width: Int
            switch dtype { case "F32": width = 4; case "F64": width = 8
            default: throw GradLabError.data("\(source): tensor '\(name)' has dtype \(dtype); only F32 and F64 are supported") }
            let count = shape.reduce(1, *)
            guard off[0] >= 0, off[1] - off[0] == count * width, base + off[1] <= bytes.count else {
                throw GradLabError.data("\(source): tensor '\(name)' offsets \(off) do not fit shape \(shape) and the file size")
            }
            var values = [S](); values.reserveCapacity(count)
            bytes.withUnsafeBytes { raw in
                for i in 0..<count {
                    let o = base + off[0] + i * width
                    if width == 4 { values.append(S(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self))))) }
                    else { values.append(S(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self))))) }
                }
            }
            tensors[name] = Tensor(shape: shape, scalars: values)
        }
        return (tensors, metadata)
    }
}

/// A training checkpoint: model parameters under their dotted names, optimizer state under
/// `optimizer.<parameter>.<slot>`, and the step, seed and config as metadata.
public enum Checkpoint {
    /// `buffers` are a model's non-trained state (BatchNorm running statistics), saved under
    /// their own names.
    public static func save<S: Scalar>(to path: String, parameters: [(name: String, parameter: Parameter<S>)],
                                       buffers: [(name: String, tensor: Tensor<S>)] = [],
                                       optimizer: Optimizer<S>?, metadata: [String: String]) throws {
        var tensors: [String: Tensor<S>] = [:]
        for (name, p) in parameters { tensors[name] = p.value }
        for (name, t) in buffers { tensors[name] = t }
        var meta = metadata
        if let optimizer {
            for (key, buf) in optimizer.state { tensors["optimizer.\(key)"] = Tensor(shape: [buf.buffer.count], scalars: buf.values) }
            meta["optimizer_step"] = "\(optimizer.step)"
            meta["optimizer"] = optimizer.rule.description
        }
        try atomicWrite(try SafeTensors.encode(tensors, metadata: meta), to: path)
    }

    /// Loads parameters (and optimizer state, when given) in place; every name and shape must match.
    @discardableResult
    public static func load<S: Scalar>(from path: String, into parameters: [(name: String, parameter: Parameter<S>)],
                                       optimizer: Optimizer<S>?) throws -> [String: String] {
        try load(from: path, into: parameters, optimizer: optimizer, buffers: nil)
    }

    /// Also hands every saved tensor to `buffers` (e.g. `model.loadBuffers(from:)`). A tensor
    /// holding NaN or ±Inf (what a diverged run saves) is refused by name unless `allowNonFinite`.
    @discardableResult
    public static func load<S: Scalar>(from path: String, into parameters: [(name: String, parameter: Parameter<S>)],
                                       optimizer: Optimizer<S>?, buffers: (([String: Tensor<S>]) throws -> Void)?,
                                       allowNonFinite: Bool = false) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw GradLabError.io("\(path): cannot read the checkpoint") }
        let (tensors, meta): ([String: Tensor<S>], [String: String]) = try SafeTensors.decode(data, source: path)
        if !allowNonFinite {
            for name in tensors.keys.sorted() {
                let bad = tensors[name]!.scalars.lazy.filter { !$0.isFinite }.count
                guard bad == 0 else {
                    throw GradLabError.data("\(path): tensor '\(name)' holds \(bad) non-finite value\(bad == 1 ? "" : "s") (NaN or ±Inf) of \(tensors[name]!.count); the run that saved it had diverged: resume from an earlier checkpoint, or pass --allow-non-finite-checkpoint to load it anyway")
                }
            }
        }
        try buffers?(tensors)
        for (name, p) in parameters {
            guard let t = tensors[name] else { throw GradLabError.data("\(path): no tensor '\(name)'; was it saved from the same model?") }
            guard t.shape == p.value.shape else {
                throw GradLabError.data("\(path): '\(name)' has shape \(t.shape) but the model expects \(p.value.shape)")
            }
            p.value = t
        }
        if let optimizer {
            var state: [String: [S]] = [:]
            for (k, t) in tensors where k.hasPrefix("optimizer.") { state[String(k.dropFirst("optimizer.".count))] = t.scalars }
            try optimizer.restore(state: state, step: Int(meta["optimizer_step"] ?? "0") ?? 0)
        }
        return meta
    }
}
