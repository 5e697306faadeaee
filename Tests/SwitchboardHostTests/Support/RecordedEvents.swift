@testable import SwitchboardHost

extension SwitchboardHost {
    /// The events recorded for a tenant, oldest first, optionally of one type.
    func recordedEvents(_ tenantID: String, type: String? = nil) throws -> [StoredEvent] {
        try services.database.read { connection in
            var sql = "SELECT * FROM events WHERE tenant_id = $1"
            var parameters: [SQLValue] = [.text(tenantID)]
            if let type {
                sql += " AND type = $2"
                parameters.append(.text(type))
            }
            return try connection.query(sql + " ORDER BY recorded_at, COALESCE(sequence, 0)", parameters).map(StoredEvent.init(row:))
        }
    }
}
