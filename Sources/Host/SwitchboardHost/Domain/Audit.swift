import Foundation
import SwitchboardJSON

/// The append-only audit log of one host: who did what to which subject, per tenant.
public struct AuditLog: Sendable {
    public let database: Database
    /// The tenant id of platform-level entries (no tenant's slug can take it).
    public static let platformTenant = "_platform"

    /// Records one event; `connection` lets callers audit inside their own transaction.
    public func record(
        tenantID: String, actor: String, action: String, subject: String? = nil,
        details: JSON = .object([:]), in connection: SQLConnection? = nil
    ) throws {
        let insert = { (connection: SQLConnection) in
            _ = try connection.execute(
                """
                INSERT INTO audit_log (tenant_id, id, occurred_at, actor, action, subject, details)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """,
                [.text(tenantID), .text(Identifier.make()), .integer(Clock.nowMillis()), .text(actor), .text(action),
                 .text(subject), .text(try details.serialized())])
        }
        if let connection {
            try insert(connection)
        } else {
            try database.transaction { try insert($0) }
        }
    }

    public struct Entry: Codable, Sendable {
        public let id: String
        public let occurredAt: Int64
        public let actor: String
        public let action: String
        public let subject: String?
        public let details: JSON
        enum CodingKeys: String, CodingKey { case id, actor, action, subject, details, occurredAt = "occurred_at" }
    }

    /// The newest entries of a tenant, optionally of one action.
    public func entries(tenantID: String, action: String? = nil, limit: Int = 100) throws -> [Entry] {
        var sql = "SELECT * FROM audit_log WHERE tenant_id = $1"
        var parameters: [SQLValue] = [.text(tenantID)]
        if let action {
            parameters.append(.text(action))
            sql += " AND action = $2"
        }
        sql += " ORDER BY occurred_at DESC, id DESC LIMIT \(max(1, min(limit, 1000)))"
        return try database.read { try $0.query(sql, parameters) }.map { row in
            Entry(
                id: row.string("id") ?? "", occurredAt: row.int("occurred_at") ?? 0, actor: row.string("actor") ?? "",
                action: row.string("action") ?? "", subject: row.string("subject"),
                details: (try? JSON.parse(row.string("details") ?? "{}")) ?? .object([:]))
        }
    }
}

/// Identifiers for new rows: random (version 4) UUIDs in lowercase. The bits come from the system generator
/// (`getrandom`), as Foundation's `UUID()` opens /dev/urandom for each one: a file opened per stored row.
public enum Identifier {
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        // The version (4) and variant (10) bits of RFC 9562.
        let words = [generator.next() & ~0xF000 | 0x4000, generator.next() & ~(0xC << 60) | 0x8 << 60]
        let hex = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(36)
        for position in 0..<32 {
            if [8, 12, 16, 20].contains(position) { text.append(UInt8(ascii: "-")) }
            let word = words[position / 16], shift = UInt64(60 - position % 16 * 4)
            text.append(hex[Int(word >> shift & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
