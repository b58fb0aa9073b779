/// Just enough of the protobuf wire format (protobuf.dev/programming-guides/encoding) to write
/// TensorBoard events: varints, 64-bit and 32-bit fixed fields, length-delimited fields.
struct ProtoEncoder {
    private(set) var bytes: [UInt8] = []

    private enum Wire: UInt64 { case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5 }

    private mutating func key(_ field: Int, _ wire: Wire) { varint(UInt64(field) << 3 | wire.rawValue) }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 { bytes.append(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    mutating func double(_ field: Int, _ value: Double) {
        key(field, .fixed64)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// int64: negative values are their two's complement as a 10-byte varint (not zigzag).
    mutating func int64(_ field: Int, _ value: Int64) {
        key(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    mutating func bytes(_ field: Int, _ payload: [UInt8]) {
        key(field, .lengthDelimited)
        varint(UInt64(payload.count))
        bytes.append(contentsOf: payload)
    }

    mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    mutating func message(_ field: Int, _ build: (inout ProtoEncoder) -> Void) {
        var inner = ProtoEncoder()
        build(&inner)
        bytes(field, inner.bytes)
    }

    /// A packed repeated double: one length-delimited field holding the values back to back.
    mutating func packedDoubles(_ field: Int, _ values: [Double]) {
        var inner: [UInt8] = []
        inner.reserveCapacity(values.count * 8)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { inner.append(contentsOf: $0) } }
        bytes(field, inner)
    }
}
