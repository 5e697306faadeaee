import Synchronization

/// OAuth access tokens by a caller's key (token endpoint and client), shared by every job, sender and
/// host call of the process: Microsoft Graph's app tokens and Google service-account tokens.
final class AccessTokenCache: Sendable {
    static let shared = AccessTokenCache()
    private let tokens = Mutex<[String: (token: String, validUntil: Int64)]>([:])

    /// The token under `key` while it is still valid at `now`.
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
