import Testing

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

extension SwitchboardHost {
    /// Puts `plugin`'s delivery of the tenant's last event of `type` back to pending, as the scheduler does with a job
    /// whose host died before it recorded the outcome: the plugin gets the event again, as attempt 2.
    func redeliverLast(_ type: String, tenantID: String, to plugin: String) throws {
        let event = try #require(try recordedEvents(tenantID, type: type).last)
        let changed = try services.database.transaction {
            try $0.execute(
                """
                UPDATE jobs SET status = 'pending', run_at = 0 WHERE tenant_id = $1 AND plugin_id = $2 AND kind = $3 AND status = 'done'
                  AND payload LIKE $4
                """,
                [.text(tenantID), .text(plugin), .text(EventLog.deliverKind), .text("%\(event.event.id)%")])
        }
        #expect(changed == 1, "one delivery to hand out again")
    }
}
