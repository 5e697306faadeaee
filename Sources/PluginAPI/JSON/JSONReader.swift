/// Parses JSON text (RFC 8259) straight from its UTF-8 bytes into `JSON`, in one pass and without Foundation.
/// It is strict: no trailing commas, comments, leading zeros, unescaped control characters, lone surrogates
/// or invalid UTF-8, and nothing after the value but whitespace. Nesting deeper than `JSON.maxDepth` throws
/// `JSON.TooDeep` as soon as it is reached.
struct JSONReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws -> JSON {
        var reader = JSONReader(bytes: bytes)
        reader.skipWhitespace()
        let value = try reader.value()
        reader.skipWhitespace()
        guard reader.index == bytes.count else { throw reader.failure("unexpected text after the value") }
        return value
    }

    private mutating func value() throws -> JSON {
        guard index < bytes.count else { throw failure("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw failure("unexpected character")
        }
    }

    private mutating func object() throws -> JSON {
        try enter()
        var members: [String: JSON] = [:]
        skipWhitespace()
        if consume(UInt8(ascii: "}")) {
            depth -= 1
            return .object(members)
        }
        while true {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a member name") }
            let key = try string()
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { throw failure("expected ':'") }
            skipWhitespace()
            members[key] = try value()
            skipWhitespace()
            if consume(UInt8(ascii: ",")) {
                skipWhitespace()
                continue
            }
            guard consume(UInt8(ascii: "}")) else { throw failure("expected ',' or '}'") }
            depth -= 1
            return .object(members)
        }
    }

    private mutating func array() throws -> JSON {
        try enter()
        var elements: [JSON] = []
        skipWhitespace()
        if consume(UInt8(ascii: "]")) {
            depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try value())
            skipWhitespace()
            if consume(UInt8(ascii: ",")) {
                skipWhitespace()
                continue
            }
            guard consume(UInt8(ascii: "]")) else { throw failure("expected ',' or ']'") }
            depth -= 1
            return .array(elements)
        }
    }

    /// Steps over the opening bracket or brace, one level deeper.
    private mutating func enter() throws {
        depth += 1
        guard depth <= JSON.maxDepth else { throw JSON.TooDeep() }
        index += 1
    }

    /// A string from its opening quote; the text between quotes without escapes is taken as one slice.
    private mutating func string() throws -> String {
        index += 1
        let start = index
        while index < bytes.count {
            if index + 8 <= bytes.count, !JSONPlainText.mayEnd(bytes, at: index) {
                index += 8
                continue
            }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = try utf8(start..<index)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { return try escapedString(prefix: start..<index) }
            if byte < 0x20 { throw failure("control character in a string") }
            index += 1
        }
        throw failure("unterminated string")
    }

    /// The rest of a string that holds escapes, `prefix` being the bytes before the first one.
    private mutating func escapedString(prefix: Range<Int>) throws -> String {
        var buffer = Array(bytes[prefix])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = String(validating: buffer, as: UTF8.self) else { throw failure("invalid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw failure("unterminated string") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(escape)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"): buffer.append(contentsOf: String(try unicodeEscape()).utf8)
                default: throw failure("invalid escape")
                }
            default:
                if byte < 0x20 { throw failure("control character in a string") }
                buffer.append(byte)
                index += 1
            }
        }
        throw failure("unterminated string")
    }

    /// The scalar of `\uXXXX` (its `u` already read), joining a surrogate pair written as two escapes.
    private mutating func unicodeEscape() throws -> Character {
        let first = try hex4()
        if (0xD800...0xDBFF).contains(first) {
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw failure("lone surrogate")
            }
            index += 2
            let second = try hex4()
            guard (0xDC00...0xDFFF).contains(second) else { throw failure("lone surrogate") }
            let scalar = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            return Character(Unicode.Scalar(scalar)!)
        }
        guard let scalar = Unicode.Scalar(first) else { throw failure("lone surrogate") }
        return Character(scalar)
    }

    private mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw failure("unterminated string") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// A number by the JSON grammar. Integers of up to 15 digits are built directly; others go through `Double(_:)`.
    private mutating func number() throws -> Double {
        let start = index
        let negative = consume(UInt8(ascii: "-"))
        guard index < bytes.count, isDigit(bytes[index]) else { throw failure("invalid number") }
        var integer: Int64 = 0
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) { throw failure("leading zero in a number") }
        } else {
            while index < bytes.count, isDigit(bytes[index]) {
                if index - start < 16 { integer = integer * 10 + Int64(bytes[index] - UInt8(ascii: "0")) }
                index += 1
            }
        }
        var simple = index - start <= (negative ? 16 : 15)
        if consume(UInt8(ascii: ".")) {
            simple = false
            guard index < bytes.count, isDigit(bytes[index]) else { throw failure("invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            simple = false
            index += 1
            if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
            guard index < bytes.count, isDigit(bytes[index]) else { throw failure("invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if simple { return negative ? -Double(integer) : Double(integer) }
        guard let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)), value.isFinite else {
            throw failure("number out of range")
        }
        return value
    }

    private mutating func literal(_ word: StaticString, _ value: JSON) throws -> JSON {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw failure("unexpected end of input") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { throw failure("unexpected character") }
        index += count
        return value
    }

    /// The text of `range`: ASCII taken as it is, anything else validated as UTF-8.
    private func utf8(_ range: Range<Int>) throws -> String {
        let slice = UnsafeBufferPointer(rebasing: bytes[range])
        if JSONPlainText.isASCII(slice) { return String(decoding: slice, as: UTF8.self) }
        guard let text = String(validating: slice, as: UTF8.self) else { throw failure("invalid UTF-8") }
        return text
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private func failure(_ message: String) -> JSON.SyntaxError {
        JSON.SyntaxError(offset: index, message: message)
    }
}

/// Eight bytes at a time through the plain part of a string, the bulk of most documents.
enum JSONPlainText {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Whether any of the eight bytes at `offset` may end a plain run: a quote, a backslash or a control
    /// character. It can answer true for a plain word (the caller then looks byte by byte), never false for one that is not.
    @inline(__always)
    static func mayEnd(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> Bool {
        let word = UnsafeRawPointer(bytes.baseAddress! + offset).loadUnaligned(as: UInt64.self)
        return hasByte(below: 0x20, word) || hasZero(word ^ ones &* 0x22) || hasZero(word ^ ones &* 0x5C)
    }

    /// Whether every byte is below 0x80, eight at a time.
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var offset = 0
        while offset + 8 <= bytes.count {
            if UnsafeRawPointer(bytes.baseAddress! + offset).loadUnaligned(as: UInt64.self) & highBits != 0 { return false }
            offset += 8
        }
        while offset < bytes.count {
            if bytes[offset] >= 0x80 { return false }
            offset += 1
        }
        return true
    }

    @inline(__always)
    private static func hasZero(_ word: UInt64) -> Bool { hasByte(below: 1, word) }

    /// Whether a byte of `word` is below `limit` (at most 0x80).
    @inline(__always)
    private static func hasByte(below limit: UInt64, _ word: UInt64) -> Bool {
        (word &- ones &* limit) & ~word & highBits != 0
    }
}

extension JSON {
    /// JSON text that does not parse: what is wrong, and the byte offset where it was found.
    public struct SyntaxError: Error, CustomStringConvertible {
        public let offset: Int
        public let message: String
        public var description: String { "invalid JSON at byte \(offset): \(message)" }
    }
}
