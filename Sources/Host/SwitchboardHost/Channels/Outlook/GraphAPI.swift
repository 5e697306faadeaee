import Foundation
import SwitchboardJSON

/// Microsoft Graph as one tenant's `outlook` channel sees it: an app-only token from the OAuth2 client
/// credentials grant, cached until shortly before it expires, and authorized calls.
struct GraphAPI {
    static let defaultGraphBase = "https://graph.microsoft.com/v1.0"
    static let defaultLoginBase = "https://login.microsoftonline.com"
    /// A cached token is replaced this long before Graph would refuse it.
    static let tokenMargin: Int64 = 5 * 60_000

    let config: ChannelConfig
    let http: HTTPClient

    var graphBase: String { config["graph_base"] ?? Self.defaultGraphBase }
    var mailbox: String { config["mailbox"] ?? "" }
    private var loginBase: String { config["login_base"] ?? Self.defaultLoginBase }
    private var cacheKey: String { "\(loginBase)|\(config["tenant_id"] ?? "")|\(config["client_id"] ?? "")" }

    /// Calls Graph with the app token. A 401 drops the cached token, and the call is worth retrying.
    func call(_ method: String, _ path: String, body: JSON? = nil, now: Int64 = Clock.nowMillis()) async throws -> HTTPClient.Response {
        var headers = ["Authorization": "Bearer \(try await accessToken(now: now))"]
        if body != nil { headers["Content-Type"] = "application/json" }
        let response = try await http.providerCall(.init(
            method: method, url: graphBase + path, headers: headers, body: try body?.serializedBytes() ?? []))
        if response.status == 401 {
            AccessTokenCache.shared.drop(cacheKey)
            throw DeliveryError.transient("Microsoft Graph refused the app token (401)")
        }
        return response
    }

    /// The app token: cached, or fetched with the client credentials grant.
    func accessToken(now: Int64 = Clock.nowMillis()) async throws -> String {
        if let token = AccessTokenCache.shared.token(cacheKey, now: now) { return token }
        let form = FormEncoding.encode([
            ("client_id", config["client_id"] ?? ""), ("client_secret", try config.secret("client_secret")),
            ("scope", "https://graph.microsoft.com/.default"), ("grant_type", "client_credentials"),
        ])
        let response = try await http.providerCall(.init(
            method: "POST", url: "\(loginBase)/\(config["tenant_id"] ?? "")/oauth2/v2.0/token",
            headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Array(form.utf8)))
        let reply = (try? JSON.parse(bytes: response.body)) ?? .null
        guard response.status < 400, let token = reply["access_token"]?.stringValue else {
            throw DeliveryError.permanent(
                code: reply["error"]?.stringValue ?? String(response.status),
                message: reply["error_description"]?.stringValue ?? "the token endpoint answered HTTP \(response.status)")
        }
        let lifetime = Int64(reply["expires_in"]?.doubleValue ?? 3599) * 1000
        AccessTokenCache.shared.store(cacheKey, token: token, expiresAt: now + lifetime - Self.tokenMargin)
        return token
    }

    /// A Graph error answer as a delivery error: the `error.code` and `error.message` of its body.
    static func failure(_ response: HTTPClient.Response) -> DeliveryError {
        let error = (try? JSON.parse(bytes: response.body))?["error"]
        return .permanent(
            code: error?["code"]?.stringValue ?? String(response.status),
            message: error?["message"]?.stringValue ?? "Microsoft Graph answered HTTP \(response.status)")
    }

    /// A path segment for an id Graph gave us.
    static func segment(_ id: String) -> String { FormEncoding.escape(id) }

    /// Graph's `expirationDateTime` form (UTC, with fractions of a second).
    static func timestamp(_ millis: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }
}
