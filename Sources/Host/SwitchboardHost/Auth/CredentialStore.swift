import Foundation
import SwitchboardJSON

/// Users and API tokens of each tenant. Tokens are shown once and stored as SHA-256 hashes.
public struct CredentialStore: Sendable {
    public let database: Database
    public let audit: AuditLog

    /// A freshly created token: `secret` is shown to the caller once and never stored.
    public struct CreatedToken: Encodable, Sendable {
        public let id: String
        public let name: String
        public let role: String
        public let prefix: String
        public let secret: String
    }

    public struct TokenInfo: Encodable, Sendable {
        public let id: String
        public let name: String
        public let role: String
        public let prefix: String
        public let createdBy: String
        public let createdAt: Int64
        public let lastUsedAt: Int64?
        public let revokedAt: Int64?
        enum CodingKeys: String, CodingKey {
            case id, name, role, prefix
            case createdBy = "created_by", createdAt = "created_at", lastUsedAt = "last_used_at", revokedAt = "revoked_at"
        }
    }

    public struct User: Encodable, Sendable {
        public let id: String
        public let email: String
        public let name: String
        public let role: String
        public let createdAt: Int64
        enum CodingKeys: String, CodingKey { case id, email, name, role, createdAt = "created_at" }
    }

    /// Tokens look like `sbt_1a2b3c4d_<32 hex>`; the part before the second `_` is the prefix that names it.
    public func createToken(tenantID: String, name: String, role: String, actor: String) throws -> CreatedToken {
        let idBytes = try Crypto.randomBytes(4), secretBytes = try Crypto.randomBytes(24)
        let prefix = "sbt_" + idBytes.map { String(format: "%02x", $0) }.joined()
        let secret = prefix + "_" + secretBytes.map { String(format: "%02x", $0) }.joined()
        let id = Identifier.make()
        try database.transaction { connection in
            _ = try connection.execute(
                """
                INSERT INTO api_tokens (tenant_id, id, name, role, prefix, token_hash, created_by, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """,
                [.text(tenantID), .text(id), .text(name), .text(role), .text(prefix),
                 .text(Crypto.sha256Hex(Array(secret.utf8))), .text(actor), .integer(Clock.nowMillis())])
            try audit.record(
                tenantID: tenantID, actor: actor, action: "token_created", subject: prefix,
                details: ["name": .string(name), "role": .string(role)], in: connection)
        }
        return CreatedToken(id: id, name: name, role: role, prefix: prefix, secret: secret)
    }

    public func tokens(tenantID: String) throws -> [TokenInfo] {
        try database.read {
            try $0.query("SELECT * FROM api_tokens WHERE tenant_id = $1 ORDER BY created_at, id", [.text(tenantID)])
        }.map { row in
            TokenInfo(
                id: row.string("id") ?? "", name: row.string("name") ?? "", role: row.string("role") ?? "",
                prefix: row.string("prefix") ?? "", createdBy: row.string("created_by") ?? "",
                createdAt: row.int("created_at") ?? 0, lastUsedAt: row.int("last_used_at"), revokedAt: row.int("revoked_at"))
        }
    }

    /// Revokes a token by id or prefix; returns false when there is no such live token.
    public func revokeToken(tenantID: String, idOrPrefix: String, actor: String) throws -> Bool {
        try database.transaction { connection in
            let count = try connection.execute(
                "UPDATE api_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND (id = $2 OR prefix = $2) AND revoked_at IS NULL",
                [.text(tenantID), .text(idOrPrefix), .integer(Clock.nowMillis())])
            if count > 0 {
                try audit.record(tenantID: tenantID, actor: actor, action: "token_revoked", subject: idOrPrefix, in: connection)
            }
            return count > 0
        }
    }

    /// The live token behind a bearer secret, for this tenant only: another tenant's token finds nothing.
    public func authenticate(tenantID: String, bearer: String, roles: RoleBook) throws -> Identity? {
        guard bearer.hasPrefix("sbt_"), bearer.count < 200 else { return nil }
        let hash = Crypto.sha256Hex(Array(bearer.utf8))
        guard let row = try database.read({
            try $0.query(
                "SELECT id, name, role, last_used_at FROM api_tokens WHERE tenant_id = $1 AND token_hash = $2 AND revoked_at IS NULL",
                [.text(tenantID), .text(hash)]
            ).first
        }) else { return nil }
        let id = row.string("id") ?? "", role = row.string("role") ?? ""
        let now = Clock.nowMillis()
        if (row.int("last_used_at") ?? 0) < now - 60_000 {
            try database.transaction {
                _ = try $0.execute(
                    "UPDATE api_tokens SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2",
                    [.text(tenantID), .text(id), .integer(now)])
            }
        }
        return Identity(kind: .token, id: id, name: row.string("name") ?? "", role: role, permissions: roles.permissions(of: role) ?? [])
    }

    /// A user with this email already exists in the tenant.
    public struct UserExists: Error, CustomStringConvertible {
        public let email: String
        public var description: String { "a user with email \(email) already exists" }
    }

    /// Creates a user; throws `UserExists` when the email is taken in this tenant.
    public func createUser(tenantID: String, email: String, name: String, role: String, password: String, actor: String) throws -> User {
        let id = Identifier.make(), now = Clock.nowMillis()
        let hash = try PasswordHasher.hash(password)
        try database.transaction { connection in
            guard try connection.query("SELECT id FROM users WHERE tenant_id = $1 AND email = $2", [.text(tenantID), .text(email.lowercased())]).isEmpty else {
                throw UserExists(email: email.lowercased())
            }
            _ = try connection.execute(
                """
                INSERT INTO users (tenant_id, id, email, name, role, password_hash, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
                """,
                [.text(tenantID), .text(id), .text(email.lowercased()), .text(name), .text(role), .text(hash), .integer(now)])
            try audit.record(
                tenantID: tenantID, actor: actor, action: "user_created", subject: email.lowercased(),
                details: ["role": .string(role)], in: connection)
        }
        return User(id: id, email: email.lowercased(), name: name, role: role, createdAt: now)
    }

    /// The user with this email and password, or nil.
    public func verifyUser(tenantID: String, email: String, password: String, roles: RoleBook) throws -> Identity? {
        guard let row = try database.read({
            try $0.query(
                "SELECT id, name, role, password_hash FROM users WHERE tenant_id = $1 AND email = $2 AND disabled_at IS NULL",
                [.text(tenantID), .text(email.lowercased())]
            ).first
        }), PasswordHasher.verify(password, against: row.string("password_hash") ?? "") else { return nil }
        let role = row.string("role") ?? ""
        return Identity(kind: .user, id: row.string("id") ?? "", name: email.lowercased(), role: role, permissions: roles.permissions(of: role) ?? [])
    }

    public func users(tenantID: String) throws -> [User] {
        try database.read {
            try $0.query("SELECT * FROM users WHERE tenant_id = $1 ORDER BY email", [.text(tenantID)])
        }.map {
            User(id: $0.string("id") ?? "", email: $0.string("email") ?? "", name: $0.string("name") ?? "",
                 role: $0.string("role") ?? "", createdAt: $0.int("created_at") ?? 0)
        }
    }

    /// Changes a user's role, audited.
    public func setRole(tenantID: String, userID: String, role: String, actor: String) throws -> Bool {
        try database.transaction { connection in
            let count = try connection.execute(
                "UPDATE users SET role = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
                [.text(tenantID), .text(userID), .text(role), .integer(Clock.nowMillis())])
            if count > 0 {
                try audit.record(tenantID: tenantID, actor: actor, action: "role_changed", subject: userID, details: ["role": .string(role)], in: connection)
            }
            return count > 0
        }
    }
}
