import Foundation
import SwitchboardJSON
import Testing

/// The byte-level JSON reader and writer that every webhook body, ABI call and stored document goes through,
/// checked against Foundation: the writer writes what `JSONEncoder` writes, and the reader accepts and refuses
/// what `JSONDecoder` does, reading the same values.
@Suite("JSON reader and writer")
struct JSONTests {
    @Test("strings with escapes, surrogate pairs and non-ASCII text, numbers and literals read as written")
    func reads() throws {
        let text = #" { "a" : [1, -2.5, 1e3, 0, -0.125, 12345678901234567890, true, false, null], "s": "q\"\\\/\b\f\n\r\t\u00e9\ud83d\ude42 é 🙂", "": {} } "#
        let value = try JSON.parse(text)
        #expect(value["a"] == [1, -2.5, 1000, 0, -0.125, .number(Double("12345678901234567890")!), true, false, .null])
        #expect(value["s"] == .string("q\"\\/\u{8}\u{c}\n\r\té🙂 é 🙂"))
        #expect(value[""] == .object([:]))
        #expect(try JSON.parse("\"top\"") == "top" && JSON.parse(" 7 ") == 7)
    }

    @Test("bad documents are refused with the byte offset of the fault", arguments: [
        "", " ", "{", "[1,]", "{\"a\":1,}", "{a:1}", "01", "1.", ".5", "-", "+1", "1e", "\"\u{1}\"", "\"\\x\"", "\"\\ud800\"",
        "\"\\udc00\"", "\"abc", "tru", "nul", "[1] 2", "{\"a\" 1}", "NaN", "1e999", "//", "[\"a\"\"b\"]",
    ])
    func refuses(_ text: String) {
        #expect(throws: JSON.SyntaxError.self) { try JSON.parse(text) }
    }

    @Test("invalid UTF-8 inside a string is refused")
    func invalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0x5C, 0x6E, 0xC0, 0xAF, 0x22]] {
            #expect(throws: JSON.SyntaxError.self) { try JSON.parse(bytes: bytes) }
        }
    }

    @Test("the writer writes exactly what JSONEncoder writes with sorted keys and unescaped slashes")
    func writesLikeJSONEncoder() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var fuzzer = Fuzzer(seed: 41)
        for _ in 0..<Fuzzer.inputs(default: 2_000) {
            let value = fuzzer.mutateJSON(["a": ["b": 1, "c": [0.5, "x"]], "path": "/a/b", "n": .number(1e21)])
            #expect(try value.serializedBytes() == Array(encoder.encode(value)), "\(value)")
        }
        #expect(throws: (any Error).self) { try JSON.number(.infinity).serializedBytes() }
    }

    @Test("the reader agrees with JSONDecoder on mutated documents: both refuse, or both read the same value")
    func readsLikeJSONDecoder() throws {
        var fuzzer = Fuzzer(seed: 42)
        let seed: JSON = ["entry": [["id": "1", "changes": [["value": ["text": "Hallo \"daar\"", "n": 3.25, "ok": true, "none": .null]]]]]]
        var accepted = 0
        for _ in 0..<Fuzzer.inputs(default: 3_000) {
            let bytes = try fuzzer.jsonInput(from: seed)
            guard Self.nesting(bytes) <= JSON.maxDepth else {
                #expect(throws: (any Error).self, "deeper than JSON.maxDepth") { try JSON.parse(bytes: bytes) }
                continue
            }
            let ours: JSON?
            do {
                ours = try JSON.parse(bytes: bytes)
            } catch let error as JSON.SyntaxError where error.offset < bytes.count && bytes[error.offset] == UInt8(ascii: "}")
                && bytes[..<error.offset].last == UInt8(ascii: ",") {
                continue  // RFC 8259 has no trailing comma; Foundation lets one pass before "}"
            } catch {
                ours = nil
            }
            let foundation = try? JSONDecoder().decode(JSON.self, from: Data(bytes))
            #expect(ours == foundation, "\(String(decoding: bytes, as: UTF8.self))")
            if ours != nil { accepted += 1 }
        }
        #expect(accepted > 0, "some mutations stay valid, so values were compared")
    }

    /// How deep brackets and braces outside strings nest.
    static func nesting(_ bytes: [UInt8]) -> Int {
        var depth = 0, deepest = 0, inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") {
                depth += 1
                deepest = max(deepest, depth)
            } else if byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}") {
                depth -= 1
            }
        }
        return deepest
    }
}
