import SwitchboardJSON

/// The durable record of hot swaps: one row per tenant and plugin, whose generation goes up with every reload.
/// Each host compares it with the generations it runs at every tenant sync, so a reload asked of one host
/// reaches all the others, also a host that was not listening for events at that moment.
struct PluginReloadLog {
    /// A tenant's plugin and how often it has been reloaded.
    struct Entry {
        let tenantID: String
        let pluginID: String
        let generation: Int64
        let updatedAt: Int64

        var key: String { Self.key(tenantID: tenantID, pluginID: pluginID) }

        static func key(tenantID: String, pluginID: String) -> String { "\(tenantID)/\(pluginID)" }
    }

    let database: Database

    /// Records one more reload of `pluginID` for `tenantID` in `connection`; returns its generation.
    func recordReload(tenantID: String, pluginID: String, in connection: SQLConnection) throws -> Int64 {
        let rows = try connection.query(
            """
            INSERT INTO plugin_reloads (tenant_id, plugin_id, generation, updated_at) VALUES ($1, $2, 1, $3)
            ON CONFLICT (tenant_id, plugin_id) DO UPDATE
                SET generation = plugin_reloads.generation + 1, updated_at = excluded.updated_at
            RETURNING generation
            """, [.text(tenantID), .text(pluginID), .integer(Clock.nowMillis())])
        return rows.first?.int("generation") ?? 1
    }

    /// The entries changed after `updatedAfter` (epoch milliseconds).
    func entries(updatedAfter: Int64) throws -> [Entry] {
        try database.read { connection in
            try connection.query(
                "SELECT tenant_id, plugin_id, generation, updated_at FROM plugin_reloads WHERE updated_at > $1",
                [.integer(updatedAfter)])
        }.map {
            Entry(
                tenantID: $0.string("tenant_id") ?? "", pluginID: $0.string("plugin_id") ?? "",
                generation: $0.int("generation") ?? 0, updatedAt: $0.int("updated_at") ?? 0)
        }
    }
}
