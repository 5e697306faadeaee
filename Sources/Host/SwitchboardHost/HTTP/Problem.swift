import Foundation
import Hummingbird
import NIOCore
import SwitchboardJSON

/// An RFC 9457 problem: every error the host answers with is one, as `application/problem+json`.
public struct Problem: Error, HTTPResponseError, Encodable, Sendable {
    public let status: HTTPResponse.Status
    public let title: String
    public let detail: String?
    /// Field-level detail, e.g. each manifest issue with its path and line.
    public let errors: [FieldError]?
    /// Sent as `Retry-After` (seconds), e.g. with a 429.
    public let retryAfterSeconds: Int?

    public struct FieldError: Encodable, Sendable {
        public let path: String
        public let message: String
        public let line: Int?
        public let column: Int?

        public init(path: String, message: String, line: Int? = nil, column: Int? = nil) {
            self.path = path
            self.message = message
            self.line = line
            self.column = column
        }
    }

    public init(status: HTTPResponse.Status, title: String, detail: String? = nil, errors: [FieldError]? = nil, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.retryAfterSeconds = retryAfterSeconds
    }

    enum CodingKeys: String, CodingKey { case type, title, status, detail, errors }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("about:blank", forKey: .type)
        try container.encode(title, forKey: .title)
        try container.encode(Int(status.code), forKey: .status)
        try container.encodeIfPresent(detail, forKey: .detail)
        try container.encodeIfPresent(errors, forKey: .errors)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try encoder.encode(self)
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// A 422 listing every manifest issue.
    static func invalidManifest(_ error: ManifestValidationError) -> Problem {
        Problem(
            status: .unprocessableContent, title: "Invalid tenant manifest",
            detail: "\(error.issues.count) problem(s) found; each is listed with its path and line.",
            errors: error.issues.map { FieldError(path: $0.path, message: $0.message, line: $0.line, column: $0.column) })
    }
}
