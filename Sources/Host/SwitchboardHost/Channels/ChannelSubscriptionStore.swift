/// The subscription a tenant holds at a provider for one channel (the Microsoft Graph mail subscription):
/// its id routes the provider's notifications to the tenant, its expiry tells when to renew it.
public struct ChannelSubscription: Sendable, Equatable {
    public var id: String
    public var resource: String
    public var expiresAt: Int64
}

/// Tenant-scoped storage of channel subscriptions, one per tenant and channel.
public struct ChannelSubscriptionStore: Sendable {
    public let database: Database

    public func find(tenantID: String, channel: String) throws -> ChannelSubscription? {
        try database.read { connection in
            try connection.query(
                "SELECT * FROM channel_subscriptions WHERE tenant_id = $1 AND channel = $2", [.text(tenantID), .text(channel)]
            ).first.map { row in
                ChannelSubscription(
                    id: row.string("subscription_id") ?? "", resource: row.string("resource") ?? "", expiresAt: row.int("expires_at") ?? 0)
            }
        }
    }

    /// Stores the tenant's subscription for a channel, replacing any earlier one.
    public func save(_ subscription: ChannelSubscription, tenantID: String, channel: String) throws {
        let now = Clock.nowMillis()
        try database.transaction { connection in
            try connection.execute(
                """
                INSERT INTO channel_subscriptions (tenant_id, channel, subscription_id, resource, expires_at, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $6)
                ON CONFLICT (tenant_id, channel) DO UPDATE SET subscription_id = excluded.subscription_id,
                    resource = excluded.resource, expires_at = excluded.expires_at, updated_at = excluded.updated_at
                """,
                [.text(tenantID), .text(channel), .text(subscription.id), .text(subscription.resource),
                 .integer(subscription.expiresAt), .integer(now)])
        }
    }

    public func delete(tenantID: String, channel: String) throws {
        try database.transaction { connection in
            try connection.execute(
                "DELETE FROM channel_subscriptions WHERE tenant_id = $1 AND channel = $2", [.text(tenantID), .text(channel)])
        }
    }
}
