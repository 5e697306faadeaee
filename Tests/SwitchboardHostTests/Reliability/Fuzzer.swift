import Foundation
import SwitchboardJSON

/// A seeded generator of hostile inputs: mutations of valid payloads (truncation, byte flips, NUL bytes,
/// invalid UTF-8, huge numbers, wrong JSON types, deep nesting). The same seed gives the same inputs, so a
/// failure names the seed and the index that reproduce it.
struct Fuzzer {
    /// Inputs per target: `SWITCHBOARD_FUZZ_INPUTS` (`make soak` sets 100,000), else a quick default.
    static func inputs(default quick: Int = 3_000) -> Int {
        ProcessInfo.processInfo.environment["SWITCHBOARD_FUZZ_INPUTS"].flatMap(Int.init) ?? quick
    }

    /// Requests per route through the real router: `SWITCHBOARD_FUZZ_REQUESTS`, else a quick default.
    static func requests(default quick: Int = 300) -> Int {
        ProcessInfo.processInfo.environment["SWITCHBOARD_FUZZ_REQUESTS"].flatMap(Int.init) ?? quick
    }

    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// SplitMix64.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(next() % UInt64(bound)) }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    static let hostileStrings = [
        "", " ", "\0", "' OR 1=1 --", "%' --", "../../etc/passwd", "%2e%2e%2f", "\u{202E}", "🙂", "\"", "\\", "\n\r",
        String(repeating: "A", count: 5_000), "null", "true", "-0", "1e309", "99999999999999999999999999999", "NaN",
    ]

    /// A hostile JSON value: a wrong type, an extreme number, a long or odd string, or deep nesting.
    mutating func hostileJSON(depth: Int = 0) -> JSON {
        switch below(depth > 3 ? 6 : 8) {
        case 0: return .null
        case 1: return .bool(below(2) == 0)
        case 2: return .number(pick([0, -1, 1e308, -1e308, 9_007_199_254_740_993, 0.5, Double(Int64.max)]))
        case 3, 4: return .string(pick(Self.hostileStrings))
        case 5: return .string(String(decoding: (0..<below(40)).map { _ in UInt8(truncatingIfNeeded: next()) }, as: UTF8.self))
        case 6: return .array((0..<below(4)).map { _ in hostileJSON(depth: depth + 1) })
        default: return .object(Dictionary((0..<below(4)).map { _ in (pick(Self.hostileStrings), hostileJSON(depth: depth + 1)) }, uniquingKeysWith: { a, _ in a }))
        }
    }

    /// A valid JSON document with one value somewhere inside replaced by a hostile one, or a key added.
    mutating func mutateJSON(_ value: JSON) -> JSON {
        switch value {
        case .object(let fields) where !fields.isEmpty && below(5) > 0:
            var fields = fields
            let key = fields.keys.sorted()[below(fields.count)]
            fields[key] = below(3) == 0 ? hostileJSON() : mutateJSON(fields[key]!)
            return .object(fields)
        case .array(let items) where !items.isEmpty && below(5) > 0:
            var items = items
            let index = below(items.count)
            items[index] = below(3) == 0 ? hostileJSON() : mutateJSON(items[index])
            if below(4) == 0 { items.append(items[index]) }
            return .array(items)
        default:
            return hostileJSON()
        }
    }

    /// `[[[…]]]` deeper than any parser should follow.
    static func deepNesting(_ depth: Int) -> [UInt8] {
        Array(String(repeating: "[", count: depth).utf8) + Array(String(repeating: "]", count: depth).utf8)
    }

    /// A byte-level mutation of `bytes`: truncation, flips, NUL or invalid UTF-8 inserted, a slice duplicated.
    mutating func mutateBytes(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        for _ in 0...below(3) {
            let at = below(bytes.count + 1)
            switch below(8) {
            case 0: bytes = Array(bytes.prefix(at))
            case 1 where !bytes.isEmpty: bytes[min(at, bytes.count - 1)] ^= UInt8(truncatingIfNeeded: 1 << below(8))
            case 2: bytes.insert(0, at: at)
            case 3: bytes.insert(contentsOf: pick([[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF]]), at: at)
            case 4: bytes.insert(contentsOf: Array(pick(Self.hostileStrings).utf8), at: at)
            case 5 where !bytes.isEmpty:
                let end = min(bytes.count, at + below(64))
                bytes.insert(contentsOf: bytes[min(at, end)..<end], at: at)
            case 6: bytes.insert(contentsOf: Array(pick(["{", "}", "[", "]", "\"", ",", ":", "=", "&", "%", "\n", "#", "- ", "*a", "&a ", "!!binary "]).utf8), at: at)
            default: if !bytes.isEmpty { bytes.remove(at: min(at, bytes.count - 1)) }
            }
        }
        return bytes
    }

    /// One hostile input derived from a valid JSON seed: a structural mutation, a byte mutation, both, or deep nesting.
    mutating func jsonInput(from seed: JSON) throws -> [UInt8] {
        switch below(10) {
        case 0...3: return try mutateJSON(seed).serializedBytes()
        case 4...7: return mutateBytes(try seed.serializedBytes())
        case 8: return mutateBytes(try mutateJSON(seed).serializedBytes())
        default: return Self.deepNesting(pick([64, 512, 10_000]))
        }
    }

    /// One hostile text input derived from valid text (YAML, CSV, form encoding).
    mutating func textInput(from seed: String) -> [UInt8] {
        below(20) == 0 ? Self.deepNesting(pick([64, 512, 5_000])) : mutateBytes(Array(seed.utf8))
    }
}
