import SwitchboardJSON

/// The record store plugins use: JSON records keyed by (tenant, plugin, collection, key).
///
/// Every method takes the tenant and plugin from the caller's bound scope, so
/// no argument a plugin controls can reach another tenant's or plugin's rows.
public struct RecordStore: Sendable {
    public let database: Database

    public struct Scope: Sendable, Hashable {
        public let tenantID: String
        public let pluginID: String
    }

    public struct Record: Codable, Sendable {
        public let key: String
        public let value: JSON
        public let updatedAt: Int64
        enum CodingKeys: String, CodingKey { case key, value, updatedAt = "updated_at" }
    }

    public struct Query: Decodable, Sendable {
        public var prefix: String?
        public var after: String?
        public var limit: Int?
        public var `where`: [String: JSON]?
    }

    public struct Page: Encodable, Sendable {
        public let records: [Record]
        public let next: String?
    }

    public static let maxPageSize = 500

    public func put(_ scope: Scope, collection: String, key: String, value: String) throws {
        try apply(scope, [Write(collection: collection, key: key, value: value)])
    }

    /// One write of a batch: `value` set stores the record (serialised JSON), `nil` deletes it.
    public struct Write: Sendable {
        public let collection: String
        public let key: String
        public let value: String?
    }

    /// Applies every write in one transaction: all of them are committed, or none.
    public func apply(_ scope: Scope, _ writes: [Write]) throws {
        let now = Clock.nowMillis()
        try database.transaction { connection in
            for write in writes {
                let identity: [SQLValue] = [.text(scope.tenantID), .text(scope.pluginID), .text(write.collection), .text(write.key)]
                if let value = write.value {
                    try connection.execute(Self.upsert, identity + [.text(value), .integer(now)])
                } else {
                    try connection.execute(Self.deleteOne, identity)
                }
            }
        }
    }

    private static let upsert = """
        INSERT INTO plugin_records (tenant_id, plugin_id, collection, record_key, value, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $6)
        ON CONFLICT (tenant_id, plugin_id, collection, record_key)
        DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
        """

    private static let deleteOne = "DELETE FROM plugin_records WHERE tenant_id = $1 AND plugin_id = $2 AND collection = $3 AND record_key = $4"

    public func get(_ scope: Scope, collection: String, key: String) throws -> String? {
        try database.read { connection in
            try connection.query(
                """
                SELECT value FROM plugin_records
                WHERE tenant_id = $1 AND plugin_id = $2 AND collection = $3 AND record_key = $4
                """,
                [.text(scope.tenantID), .text(scope.pluginID), .text(collection), .text(key)]
            ).first?.string("value")
        }
    }

    /// Deletes a record; returns whether it existed.
    @discardableResult
    public func delete(_ scope: Scope, collection: String, key: String) throws -> Bool {
        try database.transaction { connection in
            try connection.execute(Self.deleteOne, [.text(scope.tenantID), .text(scope.pluginID), .text(collection), .text(key)]) > 0
        }
    }

    /// Records of a collection in key order, filtered by key prefix and by top-level JSON fields.
    public func query(_ scope: Scope, collection: String, _ query: Query) throws -> Page {
        var sql = "SELECT record_key, value, updated_at FROM plugin_records WHERE tenant_id = $1 AND plugin_id = $2 AND collection = $3"
        var parameters: [SQLValue] = [.text(scope.tenantID), .text(scope.pluginID), .text(collection)]
        if let prefix = query.prefix, !prefix.isEmpty {
            parameters.append(.text(prefix))
            parameters.append(.text(prefix + "\u{10FFFF}"))
            sql += " AND record_key >= $\(parameters.count - 1) AND record_key < $\(parameters.count)"
        }
        if let after = query.after {
            parameters.append(.text(after))
            sql += " AND record_key > $\(parameters.count)"
        }
        for (field, value) in (query.where ?? [:]).sorted(by: { $0.key < $1.key }) {
            parameters.append(.text(field))
            let fieldIndex = parameters.count
            parameters.append(.text(Self.comparable(value)))
            sql += " AND \(database.dialect.jsonText("value", field: fieldIndex)) = $\(parameters.count)"
        }
        let limit = min(max(query.limit ?? 100, 1), Self.maxPageSize)
        sql += " ORDER BY record_key LIMIT \(limit + 1)"
        let rows = try database.read { try $0.query(sql, parameters) }
        let records = try rows.prefix(limit).map { row in
            Record(
                key: row.string("record_key") ?? "",
                value: try JSON.parse(row.string("value") ?? "null"),
                updatedAt: row.int("updated_at") ?? 0)
        }
        return Page(records: records, next: rows.count > limit ? records.last?.key : nil)
    }

    /// How a JSON scalar reads when extracted as text, so `where` compares like for like.
    private static func comparable(_ value: JSON) -> String {
        switch value {
        case .string(let text): text
        case .bool(let flag): flag ? "1" : "0"
        case .number(let number): number == number.rounded() ? String(Int64(number)) : String(number)
        case .null: ""
        default: (try? value.serialized()) ?? ""
        }
    }
}
