import Foundation

/// File readers. Each refuses bad data at load, naming the file and the row.
public enum DataReader {
    /// Reads a numeric CSV: every row the same number of columns, `labelColumn` (negative counts
    /// from the end) holds integer class labels 0..<k, the rest are features. A first row that is
    /// not numeric is taken as a header.
    public static func csv<S: Scalar>(_ path: String, labelColumn: Int = -1, name: String? = nil) throws -> Dataset<S> {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw GradLabError.io("\(path): cannot read the file (does it exist and is it UTF-8 text?)")
        }
        var x = [S](), y = [Int](), width = -1
        for (i, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let row = line.trimmingCharacters(in: .whitespaces)
            if row.isEmpty { continue }
            let cells = row.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let values = cells.map { Double($0) }
            if i == 0 && values.contains(where: { $0 == nil }) { continue }   // header
            if width < 0 { width = cells.count }
            guard cells.count == width else {
                throw GradLabError.data("\(path): row \(i + 1) has \(cells.count) columns, expected \(width)")
            }
            guard width >= 2 else { throw GradLabError.data("\(path): need at least one feature column and a label column") }
            let lc = labelColumn < 0 ? width + labelColumn : labelColumn
            guard lc >= 0 && lc < width else { throw GradLabError.invalid("label column \(labelColumn) outside the \(width) columns of \(path)") }
            for (j, v) in values.enumerated() {
                guard let v else { throw GradLabError.data("\(path): row \(i + 1), column \(j + 1): '\(cells[j])' is not a number") }
                guard v.isFinite else { throw GradLabError.data("\(path): row \(i + 1), column \(j + 1): value is \(v); remove or fix non-finite values") }
                if j == lc {
                    guard v >= 0, v == v.rounded() else {
                        throw GradLabError.data("\(path): row \(i + 1): label '\(cells[j])' must be a non-negative integer")
                    }
                    y.append(Int(v))
                } else { x.append(S(v)) }
            }
        }
        guard !y.isEmpty else { throw GradLabError.data("\(path): no data rows") }
        let classes = (y.max() ?? 0) + 1
        // More classes than rows (and than any small label set) cannot be learned: a label like
        // 100000 is a typo or a value column, and would build a head that large.
        guard classes <= Swift.max(y.count, 1000) else {
            throw GradLabError.data("\(path): the largest label is \(classes - 1) but there are only \(y.count) rows; labels must be class indices 0, 1, 2, … (is the last column a value, not a class?)")
        }
        return try Dataset(name: name ?? (path as NSString).lastPathComponent, features: Tensor(shape: [y.count, width - 1], scalars: x),
                           targets: .classes(y, classes: classes))
    }

    /// Reads an IDX file (the MNIST format, LeCun et al.): magic 0x0000 08|09|0B|0C|0D|0E dims,
    /// big-endian dimension sizes, then the data. Returns the array with its shape.
    public static func idx<S: Scalar>(_ path: String) throws -> Tensor<S> {
        guard let data = FileManager.default.contents(atPath: path) else { throw GradLabError.io("\(path): cannot read the file") }
        let bytes = [UInt8](data)
        guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else { throw GradLabError.data("\(path): not an IDX file (bad magic number)") }
        let type = bytes[2], rank = Int(bytes[3])
        let size: Int
        switch type {
        case 0x08, 0x09: size = 1
        case 0x0B: size = 2
        case 0x0C, 0x0D: size = 4
        case 0x0E: size = 8
        default: throw GradLabError.data("\(path): unknown IDX element type 0x\(String(type, radix: 16))")
        }
        guard rank >= 1, bytes.count >= 4 + 4 * rank else { throw GradLabError.data("\(path): truncated IDX header") }
        func be32(_ o: Int) -> Int { Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]) }
        let shape = (0..<rank).map { be32(4 + 4 * $0) }
        let count = shape.reduce(1, *), start = 4 + 4 * rank
        guard bytes.count == start + count * size else {
            throw GradLabError.data("\(path): header says \(shape) (\(count * size) data bytes) but the file has \(bytes.count - start)")
        }
        var out = [S](); out.reserveCapacity(count)
        for i in 0..<count {
            let o = start + i * size
            var u: UInt64 = 0
            for b in 0..<size { u = u << 8 | UInt64(bytes[o + b]) }
            let v: Double
            switch type {
            case 0x08: v = Double(bytes[o])
            case 0x09: v = Double(Int8(bitPattern: bytes[o]))
            case 0x0B: v = Double(Int16(truncatingIfNeeded: u))
            case 0x0C: v = Double(Int32(truncatingIfNeeded: u))
            case 0x0D: v = Double(Float(bitPattern: UInt32(u)))
            default: v = Double(bitPattern: u)
            }
            guard v.isFinite else { throw GradLabError.data("\(path): element \(i) (row \(i / Swift.max(count / shape[0], 1) + 1)) is \(v)") }
            out.append(S(v))
        }
        return Tensor(shape: shape, scalars: out)
    }

    /// An IDX image file and an IDX label file as a classification set; images are flattened
    /// and scaled by 1/255.
    public static func idxPair<S: Scalar>(images: String, labels: String) throws -> Dataset<S> {
        let x: Tensor<S> = try idx(images), y: Tensor<S> = try idx(labels)
        guard y.rank == 1 else { throw GradLabError.data("\(labels): labels must be one-dimensional, got \(y.shape)") }
        guard x.shape[0] == y.shape[0] else {
            throw GradLabError.data("\(images) has \(x.shape[0]) images but \(labels) has \(y.shape[0]) labels")
        }
        let n = x.shape[0]
        let flat = x.reshaped([n, x.count / Swift.max(n, 1)]).map { $0 / 255 }
        let l = y.scalars.map { Int($0) }
        return try Dataset(name: (images as NSString).lastPathComponent, features: flat, targets: .classes(l, classes: (l.max() ?? 0) + 1))
    }

    /// Writes an IDX file of unsigned bytes (for tests and for exporting small sets).
    public static func writeIDX(_ path: String, shape: [Int], bytes: [UInt8]) throws {
        var out: [UInt8] = [0, 0, 0x08, UInt8(shape.count)]
        for d in shape { out += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
        try atomicWrite(Data(out + bytes), to: path)
    }
}

/// The 8×8 handwritten digits (UCI "Optical Recognition of Handwritten Digits", Alpaydin &
/// Kaynak 1998, CC BY 4.0; the 1,797-image copy distributed with scikit-learn), shipped as a
/// resource. Pixels 0…16 are scaled to [0, 1]. Fixed split: every fifth row (the 5th, 10th, …)
/// is test — 359 images — and the other 1,438 train, so both parts hold every writer. (The file's
/// last rows come from writers absent from its first rows: a "last 360 rows" test set measures
/// transfer to new writers, where MLPs reach about 93%, not the ≈97% of the interleaved split.)
public enum Digits {
    public static func isTest(row: Int) -> Bool { row % 5 == 4 }

    public static func load<S: Scalar>() throws -> (train: Dataset<S>, test: Dataset<S>) {
        guard let url = Bundle.module.url(forResource: "digits", withExtension: "csv", subdirectory: "digits") else {
            throw GradLabError.unavailable("digits data missing from the GradLab bundle; rebuild the package")
        }
        var all: Dataset<S> = try DataReader.csv(url.path, name: "digits")
        all.features = all.features.map { $0 / 16 }
        let rows = Array(0..<all.count)
        return (all.subset(rows.filter { !isTest(row: $0) }), all.subset(rows.filter(isTest)))
    }
}
