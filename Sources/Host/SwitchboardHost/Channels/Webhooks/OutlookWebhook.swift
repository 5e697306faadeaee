import Hummingbird
import SwitchboardJSON

/// `POST /webhooks/outlook`: Microsoft Graph change notifications for new inbox mail.
///
/// `?validationToken=…` is Graph's handshake, for notification and lifecycle URLs alike: the decoded
/// token comes back as text/plain. A notification batch is checked item by item: the item's
/// `subscriptionId` picks the tenant (any item, when the Host header already chose one), and its
/// `clientState` must equal that tenant's `client_state`; an item that fails is dropped and audited.
/// Each valid message becomes an `outlook.fetch` job, unique per message id, and the batch is answered
/// 202 at once: Graph wants an answer within 3 seconds, so nothing here calls Graph.
struct OutlookWebhook {
    let support: WebhookSupport

    func register(on router: Router<AppRequestContext>) {
        router.post("/webhooks/outlook") { request, context -> Response in
            let candidates = support.candidates(context, kind: "outlook")
            guard !candidates.isEmpty else { throw Problem(status: .notFound, title: "Not found", detail: "No tenant here receives Outlook mail.") }
            if let token = FormEncoding.decode(request.uri.query ?? "").first(where: { $0.0 == "validationToken" })?.1 {
                return WebhookSupport.text(token, contentType: "text/plain")
            }
            let body = try await WebhookSupport.rawBody(request, context)
            guard let items = (try? JSON.parse(bytes: body))?["value"]?.arrayValue else {
                throw Problem(status: .badRequest, title: "Bad request", detail: "Not a Microsoft Graph notification collection.")
            }
            let chosen = context.tenant
            let origin: JSON = ["request_id": .string(context.id), "peer": .string(context.remoteAddress?.ipAddress ?? "")]
            let tally = try await support.services.database.perform { [support] in
                try Self.accept(items, candidates: candidates, chosen: chosen, origin: origin, services: support.services)
            }
            if tally.dropped > 0 { context.logger.warning("Outlook notifications dropped", metadata: ["dropped": "\(tally.dropped)"]) }
            return try json(["accepted": tally.accepted, "dropped": tally.dropped], status: .accepted)
        }
    }

    /// Queues the work of every valid item; returns how many were accepted and dropped.
    static func accept(
        _ items: [JSON], candidates: [Tenant], chosen: Tenant?, origin: JSON, services: HostServices
    ) throws -> (accepted: Int, dropped: Int) {
        let subscriptions = ChannelSubscriptionStore(database: services.database)
        var bySubscription: [String: Tenant] = [:]
        for tenant in candidates {
            if let subscription = try subscriptions.find(tenantID: tenant.slug, channel: "outlook") { bySubscription[subscription.id] = tenant }
        }
        var accepted = 0, dropped = 0
        for item in items {
            let subscriptionID = item["subscriptionId"]?.stringValue ?? ""
            guard let tenant = bySubscription[subscriptionID] ?? chosen else {
                dropped += 1
                continue
            }
            let expected = try WebhookSupport.secret(tenant.manifest.channels["outlook"]!, "client_state")
            guard Crypto.constantTimeEqual(Array(expected.utf8), Array((item["clientState"]?.stringValue ?? "").utf8)) else {
                try services.audit.record(
                    tenantID: tenant.slug, actor: "webhook:outlook", action: "webhook_signature_invalid", subject: "outlook",
                    details: origin.merging(["reason": "client_state_mismatch", "subscription_id": .string(subscriptionID)]))
                dropped += 1
                continue
            }
            if try queue(item, tenant: tenant, services: services) { accepted += 1 } else { dropped += 1 }
        }
        return (accepted, dropped)
    }

    /// A new message becomes an `outlook.fetch` job; a lifecycle event, a run of the subscription job.
    private static func queue(_ item: JSON, tenant: Tenant, services: HostServices) throws -> Bool {
        let now = Clock.nowMillis()
        switch item["lifecycleEvent"]?.stringValue {
        case "subscriptionRemoved":
            try ChannelSubscriptionStore(database: services.database).delete(tenantID: tenant.slug, channel: "outlook")
            fallthrough
        case "reauthorizationRequired":
            _ = try services.jobs.schedule(
                tenantID: tenant.slug, pluginID: nil, kind: OutlookSubscriptionJob.jobKind, runAt: now, payload: ["renew": true],
                uniqueKey: "\(OutlookSubscriptionJob.jobKind):lifecycle", maxAttempts: 10)
            return true
        case .some(let event):
            services.logger.warning("Outlook lifecycle event not handled", metadata: ["tenant": "\(tenant.slug)", "event": "\(event)"])
            return false
        case nil:
            let resource = item["resource"]?.stringValue ?? ""
            guard let id = item["resourceData"]?["id"]?.stringValue ?? resource.split(separator: "/").last.map(String.init) else { return false }
            _ = try services.jobs.schedule(
                tenantID: tenant.slug, pluginID: nil, kind: OutlookFetchJob.jobKind, runAt: now, payload: ["message_id": .string(id)],
                uniqueKey: "\(OutlookFetchJob.jobKind):\(id)", maxAttempts: 8)
            return true
        }
    }
}
