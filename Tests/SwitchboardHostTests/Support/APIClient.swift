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
        var headers: HTTPFields = [HTTPField.Name("Host")!: host]
        if let bearer = token ?? self.token { headers[.authorization] = "Bearer \(bearer)" }
        var buffer: ByteBuffer?
        if let body {
            headers[.contentType] = "application/json"
            buffer = ByteBuffer(bytes: try body.serializedBytes())
        }
        if let raw { buffer = raw }
        if let contentType { headers[.contentType] = contentType }
        return try await client.execute(uri: path, method: method, headers: headers, body: buffer) { response in
            let text = String(buffer: response.body)
            return Reply(status: response.status, headers: response.headers, json: (try? JSON.parse(text)) ?? .null, text: text)
        }
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
