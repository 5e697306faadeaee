import Foundation
import SwitchboardJSON
import Synchronization

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
    func call(_ method: String, _ path: String, body: JSON? = nil, now: Int64 = Clock.nowMillis()) throws -> HTTPClient.Response {
        var headers = ["Authorization": "Bearer \(try accessToken(now: now))"]
        if body != nil { headers["Content-Type"] = "application/json" }
        let response = try http.providerCall(.init(
            method: method, url: graphBase + path, headers: headers, body: try body?.serializedBytes() ?? []))
        if response.status == 401 {
            GraphTokenCache.shared.drop(cacheKey)
            throw DeliveryError.transient("Microsoft Graph refused the app token (401)")
        }
        return response
    }

    /// The app token: cached, or fetched with the client credentials grant.
    func accessToken(now: Int64 = Clock.nowMillis()) throws -> String {
        if let token = GraphTokenCache.shared.token(cacheKey, now: now) { return token }
        let form = FormEncoding.encode([
            ("client_id", config["client_id"] ?? ""), ("client_secret", try config.secret("client_secret")),
            ("scope", "https://graph.microsoft.com/.default"), ("grant_type", "client_credentials"),
        ])
        let response = try http.providerCall(.init(
            method: "POST", url: "\(loginBase)/\(config["tenant_id"] ?? "")/oauth2/v2.0/token",
            headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Array(form.utf8)))
        let reply = (try? JSON.parse(bytes: response.body)) ?? .null
        guard response.status < 400, let token = reply["access_token"]?.stringValue else {
            throw DeliveryError.permanent(
                code: reply["error"]?.stringValue ?? String(response.status),
                message: reply["error_description"]?.stringValue ?? "the token endpoint answered HTTP \(response.status)")
        }
        let lifetime = Int64(reply["expires_in"]?.doubleValue ?? 3599) * 1000
        GraphTokenCache.shared.store(cacheKey, token: token, expiresAt: now + lifetime - Self.tokenMargin)
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

    /// Reads a Graph timestamp; Graph writes up to seven fractional digits, which are dropped.
    static func millis(_ timestamp: String) -> Int64? {
        var text = timestamp
        if let dot = text.firstIndex(of: "."), let zone = text[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) {
            text.removeSubrange(dot..<zone)
        }
        return ISO8601DateFormatter().date(from: text).map { Int64($0.timeIntervalSince1970 * 1000) }
    }
}

/// App tokens by login base, directory tenant and client, shared by every job and sender of the process.
final class GraphTokenCache: Sendable {
    static let shared = GraphTokenCache()
    private let tokens = Mutex<[String: (token: String, validUntil: Int64)]>([:])

    func token(_ key: String, now: Int64) -> String? {
        tokens.withLock { tokens in tokens[key].flatMap { $0.validUntil > now ? $0.token : nil } }
    }

    func store(_ key: String, token: String, expiresAt: Int64) {
        tokens.withLock { $0[key] = (token, expiresAt) }
    }

    func drop(_ key: String) {
        _ = tokens.withLock { $0.removeValue(forKey: key) }
    }
}
