import Foundation

/// The JSON encoding used on the ABI boundary. `JSON` values (and events) skip `Codable`: they are read and
/// written byte by byte, which is most of what an event delivery costs.
enum JSONCoding {
    static func encode(_ value: some Encodable) throws -> [UInt8] {
        if let json = value as? JSON { return try json.serializedBytes() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        if T.self == JSON.self { return try JSON.parse(bytes: bytes) as! T }
        if T.self == Event.self { return try Event(json: JSON.parse(bytes: bytes)) as! T }
        return try JSONDecoder().decode(T.self, from: Data(bytes))
    }
}

/// Base64 for request and response bodies.
enum Base64 {
    static func decode(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text).map { Array($0) }
    }

    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }
}
