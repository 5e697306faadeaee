import Foundation
import Hummingbird
import NIOCore
import SwitchboardJSON

/// A JSON object request body, read strictly: bad UTF-8 or bad JSON is a 400, and unknown
/// fields or wrong types are a 422 listing every field at fault. Nothing is written before `finish()`.
struct JSONBody {
    let object: [String: JSON]
    private(set) var errors: [Problem.FieldError] = []

    /// Reads the body; `allowed` lists the accepted top-level fields (`nil`: any).
    static func read(_ request: Request, _ context: AppRequestContext, allowed: Set<String>?) async throws -> JSONBody {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        return try parse(buffer.readableBytesView, allowed: allowed)
    }

    /// Parses a body already read (a webhook reads the raw bytes first, to check their signature).
    static func parse(_ bytes: some Collection<UInt8>, allowed: Set<String>?) throws -> JSONBody {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw Problem(status: .badRequest, title: "Bad request", detail: "The body is not valid UTF-8.")
        }
        let json: JSON
        do {
            json = try JSON.parse(text.isEmpty ? "{}" : text)
        } catch {
            throw Problem(status: .badRequest, title: "Bad request", detail: "The body is not valid JSON.")
        }
        guard let object = json.objectValue else {
            throw Problem(status: .badRequest, title: "Bad request", detail: "The body must be a JSON object.")
        }
        var body = JSONBody(object: object)
        for key in object.keys.sorted() where allowed.map({ !$0.contains(key) }) ?? false {
            body.errors.append(.init(path: key, message: "unknown field; accepted: \((allowed ?? []).sorted().joined(separator: ", "))"))
        }
        return body
    }

    func has(_ key: String) -> Bool { object[key] != nil }

    mutating func fail(_ key: String, _ message: String) {
        errors.append(.init(path: key, message: message))
    }

    /// A string field; `pattern` and `oneOf` restrict it.
    mutating func string(_ key: String, required: Bool = false, maxLength: Int = 2000, pattern: String? = nil, oneOf: Set<String>? = nil) -> String? {
        guard let value = object[key], value != .null else {
            if required { fail(key, "is required") }
            return nil
        }
        guard let text = value.stringValue else {
            fail(key, "must be a string")
            return nil
        }
        if required && text.isEmpty { fail(key, "must not be empty") }
        if text.count > maxLength { fail(key, "must be at most \(maxLength) characters") }
        if let pattern, text.range(of: pattern, options: .regularExpression) == nil { fail(key, "has an invalid format") }
        if let oneOf, !oneOf.contains(text) { fail(key, "must be one of \(oneOf.sorted().joined(separator: ", "))") }
        return text
    }

    /// Whether the field is present with an explicit `null` (which clears it).
    func isNull(_ key: String) -> Bool { object[key] == .null }

    mutating func integer(_ key: String, required: Bool = false, range: ClosedRange<Int64>? = nil) -> Int64? {
        guard let value = object[key], value != .null else {
            if required { fail(key, "is required") }
            return nil
        }
        guard let number = value.doubleValue, number == number.rounded(), abs(number) < 9e15 else {
            fail(key, "must be an integer")
            return nil
        }
        if let range, !range.contains(Int64(number)) { fail(key, "must be between \(range.lowerBound) and \(range.upperBound)") }
        return Int64(number)
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let value = object[key], value != .null else { return nil }
        guard let flag = value.boolValue else {
            fail(key, "must be true or false")
            return nil
        }
        return flag
    }

    mutating func stringArray(_ key: String, pattern: String? = nil) -> [String]? {
        guard let value = object[key], value != .null else { return nil }
        guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
            fail(key, "must be a list of strings")
            return nil
        }
        let strings = items.compactMap(\.stringValue)
        if let pattern {
            for (index, item) in strings.enumerated() where item.range(of: pattern, options: .regularExpression) == nil {
                fail("\(key)[\(index)]", "has an invalid format")
            }
        }
        return strings
    }

    mutating func objectField(_ key: String) -> [String: JSON]? {
        guard let value = object[key], value != .null else { return nil }
        guard let members = value.objectValue else {
            fail(key, "must be an object")
            return nil
        }
        return members
    }

    /// Throws a 422 listing every field error found so far.
    func finish() throws {
        guard errors.isEmpty else {
            throw Problem(
                status: .unprocessableContent, title: "Validation failed",
                detail: "\(errors.count) field(s) are invalid.", errors: errors)
        }
    }
}

/// Shared formats.
enum Formats {
    static let e164 = #"^\+[1-9][0-9]{6,14}$"#
    static let email = #"^[^@\s]+@[^@\s]+\.[^@\s]+$"#
    static let label = #"^[a-z0-9][a-z0-9_-]{0,49}$"#
    static let color = #"^#[0-9a-fA-F]{6}$"#
}
