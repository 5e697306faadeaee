import SwitchboardJSON

/// `outlook.subscriptions`: keeps the tenant's Microsoft Graph subscription to new inbox mail alive.
/// It creates the subscription when none is stored, renews it when less than a day remains (creating a
/// new one when Graph no longer knows it), and schedules its own next run. Runs that overlap (a host
/// start, a lifecycle notification) meet again in one next run: its unique key names the subscription
/// and its expiry.
public struct OutlookSubscriptionJob: Sendable {
    public static let jobKind = "outlook.subscriptions"
    /// Renew when less than this remains.
    static let renewWithin: Int64 = 24 * 3_600_000
    /// 4,230 minutes, Graph's Outlook maximum in its older docs (newer ones allow 10,080); `subscription_minutes` overrides it.
    static let defaultMinutes = 4230

    public init() {}

    /// Payload: `{}`, or `{"renew": true}` to renew whatever time remains (Graph asked to reauthorize).
    public func run(payload: JSON, tenant: Tenant, services: HostServices) async throws {
        try await keep(tenant: tenant, services: services, renew: payload["renew"]?.boolValue ?? false, now: Clock.nowMillis())
    }

    /// Creates or renews the subscription as needed, stores it, and schedules the next run.
    @discardableResult
    func keep(tenant: Tenant, services: HostServices, renew: Bool = false, now: Int64) async throws -> ChannelSubscription {
        guard let config = tenant.manifest.channels["outlook"] else { throw ChannelError.notEnabled("outlook") }
        let store = ChannelSubscriptionStore(database: services.database)
        let graph = GraphAPI(config: config, http: services.http)
        let expiresAt = now + Int64(Int(config["subscription_minutes"] ?? "") ?? Self.defaultMinutes) * 60_000
        var subscription = try await services.database.perform { try store.find(tenantID: tenant.slug, channel: "outlook") }
        if let current = subscription, renew || current.expiresAt - now < Self.renewWithin {
            subscription = try await extend(current, to: expiresAt, graph: graph, now: now)
        }
        let kept = if let subscription { subscription } else { try await create(config: config, graph: graph, expiresAt: expiresAt, now: now) }
        let nextRun = max(kept.expiresAt - Self.renewWithin + 5 * 60_000, now + (kept.expiresAt - now) / 2)
        try await services.database.perform {
            try store.save(kept, tenantID: tenant.slug, channel: "outlook")
            _ = try services.jobs.schedule(
                tenantID: tenant.slug, pluginID: nil, kind: Self.jobKind, runAt: nextRun, payload: [:],
                uniqueKey: "\(Self.jobKind):\(kept.id):\(kept.expiresAt)", maxAttempts: 10)
        }
        return kept
    }

    /// Queues a first run for a tenant that receives Outlook mail; called when the tenant starts.
    static func bootstrap(tenant: Tenant, services: HostServices) throws {
        guard tenant.manifest.channels["outlook"]?["notification_url"] != nil else { return }
        _ = try services.jobs.schedule(
            tenantID: tenant.slug, pluginID: nil, kind: jobKind, runAt: Clock.nowMillis(), payload: [:],
            uniqueKey: "\(jobKind):start", maxAttempts: 10)
    }

    /// `POST /subscriptions` for created messages in the mailbox's inbox.
    private func create(config: ChannelConfig, graph: GraphAPI, expiresAt: Int64, now: Int64) async throws -> ChannelSubscription {
        guard let url = config["notification_url"] else { throw ChannelError.misconfigured("outlook.notification_url is not set") }
        let resource = "/users/\(graph.mailbox)/mailFolders('inbox')/messages"
        let response = try await graph.call("POST", "/subscriptions", body: [
            "changeType": "created", "notificationUrl": .string(url), "lifecycleNotificationUrl": .string(url),
            "resource": .string(resource), "expirationDateTime": .string(GraphAPI.timestamp(expiresAt)),
            "clientState": .string(try config.secret("client_state")),
        ], now: now)
        guard response.status < 400 else { throw GraphAPI.failure(response) }
        let reply = (try? JSON.parse(bytes: response.body)) ?? .null
        guard let id = reply["id"]?.stringValue else { throw DeliveryError.transient("Graph created a subscription without an id") }
        return ChannelSubscription(id: id, resource: resource, expiresAt: Self.expiry(reply) ?? expiresAt)
    }

    /// `PATCH /subscriptions/{id}` with a new expiry; nil when Graph no longer has the subscription.
    private func extend(_ subscription: ChannelSubscription, to expiresAt: Int64, graph: GraphAPI, now: Int64) async throws -> ChannelSubscription? {
        let response = try await graph.call(
            "PATCH", "/subscriptions/\(GraphAPI.segment(subscription.id))",
            body: ["expirationDateTime": .string(GraphAPI.timestamp(expiresAt))], now: now)
        if response.status == 404 { return nil }
        guard response.status < 400 else { throw GraphAPI.failure(response) }
        var renewed = subscription
        renewed.expiresAt = Self.expiry((try? JSON.parse(bytes: response.body)) ?? .null) ?? expiresAt
        return renewed
    }

    /// The expiry Graph granted, which may be shorter than the one asked for.
    private static func expiry(_ reply: JSON) -> Int64? {
        reply["expirationDateTime"]?.stringValue.flatMap { Clock.millis(rfc3339: $0) }
    }
}
