/// Writes `JSON` as compact UTF-8 text with sorted keys and unescaped slashes, the form `JSONEncoder` gives
/// with `[.sortedKeys, .withoutEscapingSlashes]`: numbers in their shortest form ("1", "0.5", "1e+20"),
/// `"`, `\` and control characters escaped, everything else written as it is.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []

    /// A number that JSON cannot hold (infinite or NaN).
    struct InvalidNumber: Error, CustomStringConvertible {
        let value: Double
        var description: String { "\(value) cannot be written as JSON" }
    }

    init(reservingCapacity capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    mutating func write(_ value: JSON) throws {
        switch value {
        case .null: append("null")
        case .bool(let flag): append(flag ? "true" : "false")
        case .number(let number): try write(number)
        case .string(let text): write(text)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { bytes.append(UInt8(ascii: ",")) }
                try write(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (offset, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if offset > 0 { bytes.append(UInt8(ascii: ",")) }
                write(member.key)
                bytes.append(UInt8(ascii: ":"))
                try write(member.value)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private mutating func write(_ number: Double) throws {
        guard number.isFinite else { throw InvalidNumber(value: number) }
        if number == number.rounded(), abs(number) < 1e15 {
            append(String(Int64(number)))
        } else {
            var text = number.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            append(text)
        }
    }

    private mutating func write(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var index = 0, clean = 0
            while index < utf8.count {
                if index + 8 <= utf8.count, !JSONPlainText.mayEnd(utf8, at: index) {
                    index += 8
                    continue
                }
                let byte = utf8[index]
                index += 1
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean..<index - 1]))
                clean = index
                switch byte {
                case UInt8(ascii: "\""): append("\\\"")
                case UInt8(ascii: "\\"): append("\\\\")
                case 0x08: append("\\b")
                case 0x0C: append("\\f")
                case 0x0A: append("\\n")
                case 0x0D: append("\\r")
                case 0x09: append("\\t")
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    append("\\u00")
                    bytes.append(hex[Int(byte >> 4)])
                    bytes.append(hex[Int(byte & 0x0F)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }
}
