import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore

@testable import SwitchboardHost

/// A browser on one tenant's console in tests: signs in through the real login form and keeps the cookies,
/// and posts forms with the page's CSRF token.
final class ConsoleBrowser: @unchecked Sendable {
    let client: any TestClientProtocol
    let domain: String
    private(set) var cookies: [String: String] = [:]

    struct Page {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let html: String

        /// The value of the first hidden input named `name`.
        func hidden(_ name: String) -> String? {
            guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
            return String(html[range.upperBound...].prefix { $0 != "\"" })
        }

        /// The value of the Set-Cookie named `name`, and the whole header line.
        func setCookie(_ name: String) -> (value: String, line: String)? {
            for line in headers[values: .setCookie] where line.hasPrefix("\(name)=") {
                return (String(line.dropFirst(name.count + 1).prefix { $0 != ";" }), line)
            }
            return nil
        }
    }

    init(_ client: any TestClientProtocol, domain: String) {
        self.client = client
        self.domain = domain
    }

    /// Signs in through `/console/login` and keeps the session cookie.
    func signIn(_ email: String, _ password: String) async throws -> Page {
        let login = try await get("/console/login")
        return try await post("/console/login", [("email", email), ("password", password), ("csrf", login.hidden("csrf") ?? "")])
    }

    func get(_ path: String) async throws -> Page { try await send(.get, path, form: nil) }

    /// Posts `form` as `application/x-www-form-urlencoded`.
    func post(_ path: String, _ form: [(String, String)]) async throws -> Page { try await send(.post, path, form: form) }

    /// One request carrying exactly `cookies` (the kept ones play no part), to `domain` (default: the browser's),
    /// with `form` posted as `application/x-www-form-urlencoded`. Cookies it sets are not kept.
    func request(
        _ method: HTTPRequest.Method, _ path: String, cookies: [String: String], domain: String? = nil, form: [(String, String)]? = nil
    ) async throws -> Page {
        var headers: HTTPFields = [HTTPField.Name("Host")!: domain ?? self.domain]
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        var body: ByteBuffer?
        if let form {
            headers[.contentType] = "application/x-www-form-urlencoded"
            body = ByteBuffer(string: FormEncoding.encode(form))
        }
        return try await client.execute(uri: path, method: method, headers: headers, body: body) {
            Page(status: $0.status, headers: $0.headers, html: String(buffer: $0.body))
        }
    }

    private func send(_ method: HTTPRequest.Method, _ path: String, form: [(String, String)]?) async throws -> Page {
        let page = try await request(method, path, cookies: cookies, form: form)
        for line in page.headers[values: .setCookie] {
            let pair = line.prefix { $0 != ";" }.split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { cookies[pair[0]] = pair[1].isEmpty ? nil : pair[1] }
        }
        return page
    }
}
