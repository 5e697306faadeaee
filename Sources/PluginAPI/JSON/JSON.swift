import Foundation

/// A JSON value, for payloads whose shape a plugin does not want to model with `Codable` types.
public enum JSON: Codable, Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSON].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The member `key` of an object, or `nil`.
    public subscript(key: String) -> JSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// Decodes this value into a `Decodable` type.
    public func decode<T: Decodable>(as type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(serializedBytes()))
    }

    /// Encodes any `Encodable` value into a `JSON` value.
    public init(encoding value: some Encodable) throws {
        self = try JSON.parse(bytes: Array(JSONEncoder().encode(value)))
    }
}

extension JSON {
    /// Parses JSON text.
    public static func parse(_ text: String) throws -> JSON {
        var text = text
        return try text.withUTF8 { try JSONReader.parse($0) }
    }

    /// The deepest nesting of arrays and objects `parse` accepts. Real payloads stay far below it; deeper
    /// ones are refused, so that a hostile document cannot exhaust the stack.
    public static let maxDepth = 32

    /// A document nested deeper than `maxDepth`.
    public struct TooDeep: Error, CustomStringConvertible {
        public var description: String { "JSON nested deeper than \(JSON.maxDepth) levels" }
    }

    /// Parses JSON bytes; throws `SyntaxError` for bad JSON and `TooDeep` for nesting beyond `maxDepth`.
    public static func parse(bytes: [UInt8]) throws -> JSON {
        try bytes.withUnsafeBufferPointer { try JSONReader.parse($0) }
    }

    /// Compact JSON text with sorted keys.
    public func serialized() throws -> String {
        String(decoding: try serializedBytes(), as: UTF8.self)
    }

    /// Compact JSON bytes with sorted keys (the form of `JSONEncoder` with `.sortedKeys, .withoutEscapingSlashes`).
    public func serializedBytes() throws -> [UInt8] {
        var writer = JSONWriter()
        try writer.write(self)
        return writer.bytes
    }

    /// The members of an object, or `nil`.
    public var objectValue: [String: JSON]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements of an array, or `nil`.
    public var arrayValue: [JSON]? {
        if case .array(let elements) = self { return elements }
        return nil
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
