import SwitchboardJSON

/// A recorded event read back, with what caused it.
public struct StoredEvent: Sendable {
    public let event: TenantEvent
    /// The event whose automation rule raised this one, if a rule did.
    public let causeID: String?
    /// How many rule-made changes lead up to it (`Actor.depth`).
    public let depth: Int
    public let recordedAt: Int64

    init(row: Row) {
        event = TenantEvent(
            tenantID: row.string("tenant_id") ?? "", type: row.string("type") ?? "", id: row.string("id") ?? "",
            occurredAt: row.int("occurred_at") ?? 0, data: (try? JSON.parse(row.string("data") ?? "{}")) ?? .object([:]),
            source: row.string("source"), actor: row.string("actor") ?? "system", contactID: row.string("contact_id"),
            conversationID: row.string("conversation_id"), sequence: row.int("sequence"))
        causeID = row.string("cause_id")
        depth = Int(row.int("depth") ?? 0)
        recordedAt = row.int("recorded_at") ?? 0
    }
}

extension EventLog {
    /// The recorded event `id` of the tenant, if it is still kept.
    public func find(tenantID: String, id: String) throws -> StoredEvent? {
        try jobs.database.read {
            try $0.query("SELECT * FROM events WHERE tenant_id = $1 AND id = $2", [.text(tenantID), .text(id)]).first
        }.map(StoredEvent.init(row:))
    }

    /// The events that led to `event` through automation rules, nearest first, at most `limit` of them.
    func causes(of event: StoredEvent, limit: Int) throws -> [String] {
        var chain: [String] = []
        var next = event.causeID
        while let id = next, chain.count < limit {
            chain.append(id)
            next = try find(tenantID: event.event.tenantID, id: id)?.causeID
        }
        return chain
    }

    /// Deletes up to `limit` events of any tenant recorded before `before`; returns how many. A delivery of one still
    /// waiting finds nothing to deliver.
    public func sweep(recordedBefore before: Int64, limit: Int = 10_000) throws -> Int {
        try jobs.database.transaction { connection in
            try connection.execute(
                "DELETE FROM events WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM events WHERE recorded_at < $1 LIMIT $2)",
                [.integer(before), .integer(Int64(limit))])
        }
    }
}
