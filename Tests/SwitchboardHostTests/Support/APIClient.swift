import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SwitchboardJSON

@testable import SwitchboardHost

/// A thin layer over HummingbirdTesting's client: a tenant host, a bearer token, JSON in and out.
struct APIClient {
    let client: any TestClientProtocol
    let host: String
    var token: String?

    struct Reply {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let json: JSON
        let text: String
    }

    func send(_ method: HTTPRequest.Method, _ path: String, json body: JSON? = nil, raw: ByteBuffer? = nil, contentType: String? = nil, token: String?? = nil) async throws -> Reply {
        let (headers, buffer) = try Self.request(host: host, json: body, raw: raw, contentType: contentType, token: token ?? self.token)
        return try await client.execute(uri: path, method: method, headers: headers, body: buffer) { response in
            Self.reply(status: response.status, headers: response.headers, body: response.body)
        }
    }

    /// The headers and body of a request to the tenant at `host`.
    static func request(host: String, json body: JSON?, raw: ByteBuffer? = nil, contentType: String? = nil, token: String?) throws -> (HTTPFields, ByteBuffer?) {
        var headers: HTTPFields = [HTTPField.Name("Host")!: host]
        if let token { headers[.authorization] = "Bearer \(token)" }
        var buffer: ByteBuffer?
        if let body {
            headers[.contentType] = "application/json"
            buffer = ByteBuffer(bytes: try body.serializedBytes())
        }
        if let raw { buffer = raw }
        if let contentType { headers[.contentType] = contentType }
        return (headers, buffer)
    }

    /// A response as a `Reply`, its body parsed as JSON where it is JSON.
    static func reply(status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer) -> Reply {
        let text = String(buffer: body)
        return Reply(status: status, headers: headers, json: (try? JSON.parse(text)) ?? .null, text: text)
    }

    func get(_ path: String) async throws -> Reply { try await send(.get, path) }
    func post(_ path: String, _ body: JSON) async throws -> Reply { try await send(.post, path, json: body) }
    func patch(_ path: String, _ body: JSON) async throws -> Reply { try await send(.patch, path, json: body) }
    func delete(_ path: String) async throws -> Reply { try await send(.delete, path) }
}

extension SwitchboardHost {
    /// A new API token's secret for a tenant and role.
    func token(_ tenant: String, role: String) throws -> String {
        try services.credentials.createToken(tenantID: tenant, name: "test-\(role)", role: role, actor: "test").secret
    }
}
