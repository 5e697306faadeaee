import Foundation
import Hummingbird

/// Console sign-ins: a random session token in an HttpOnly cookie, stored only as its SHA-256,
/// bound to one tenant, with the CSRF token every form of that session must carry.
public struct ConsoleSessions: Sendable {
    public let database: Database
    /// How long a session lasts without a new sign-in.
    public static let lifetimeMillis: Int64 = 12 * 3_600_000

    public struct Session: Sendable {
        public let identity: Identity
        public let csrfToken: String
        public let tokenHash: String
    }

    /// Starts a session for a verified user; returns the cookie token (shown to the browser only).
    public func create(tenantID: String, userID: String, now: Int64 = Clock.nowMillis()) throws -> String {
        let token = Crypto.hex(try Crypto.randomBytes(32)), csrf = Crypto.hex(try Crypto.randomBytes(16))
        try database.transaction { connection in
            try connection.execute("DELETE FROM console_sessions WHERE tenant_id = $1 AND expires_at < $2", [.text(tenantID), .integer(now)])
            try connection.execute(
                """
                INSERT INTO console_sessions (tenant_id, id, user_id, csrf_token, created_at, expires_at)
                VALUES ($1, $2, $3, $4, $5, $6)
                """,
                [.text(tenantID), .text(Crypto.sha256Hex(Array(token.utf8))), .text(userID), .text(csrf), .integer(now),
                 .integer(now + Self.lifetimeMillis)])
        }
        return token
    }

    /// The live session behind a cookie token, for this tenant only: another tenant's cookie finds nothing.
    public func find(tenantID: String, token: String, roles: RoleBook, now: Int64 = Clock.nowMillis()) throws -> Session? {
        let hash = Crypto.sha256Hex(Array(token.utf8))
        guard let row = try database.read({
            try $0.query(
                """
                SELECT s.csrf_token, u.id, u.email, u.role FROM console_sessions s
                JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
                WHERE s.tenant_id = $1 AND s.id = $2 AND s.expires_at > $3 AND u.disabled_at IS NULL
                """,
                [.text(tenantID), .text(hash), .integer(now)]
            ).first
        }) else { return nil }
        let role = row.string("role") ?? ""
        let identity = Identity(kind: .user, id: row.string("id") ?? "", name: row.string("email") ?? "", role: role, permissions: roles.permissions(of: role) ?? [])
        return Session(identity: identity, csrfToken: row.string("csrf_token") ?? "", tokenHash: hash)
    }

    /// The session a request's cookie holds on `tenant`, if any.
    static func session(of request: Request, tenant: Tenant) async throws -> Session? {
        guard let token = request.cookies[ConsoleRoutes.sessionCookie]?.value, !token.isEmpty else { return nil }
        let roles = tenant.roles
        return try await tenant.database.perform { try ConsoleSessions(database: tenant.database).find(tenantID: tenant.slug, token: token, roles: roles) }
    }

    public func delete(tenantID: String, tokenHash: String) throws {
        try database.transaction { try $0.execute("DELETE FROM console_sessions WHERE tenant_id = $1 AND id = $2", [.text(tenantID), .text(tokenHash)]) }
    }
}
