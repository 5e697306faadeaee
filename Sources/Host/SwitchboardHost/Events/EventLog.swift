import Synchronization
import SwitchboardJSON

/// A change about to be recorded as an event.
public struct EventDraft: Sendable {
    public var type: String
    public var data: JSON
    public var contactID: String?
    public var conversationID: String?
    /// When it happened, if not now: a provider's own timestamp.
    public var occurredAt: Int64?
    /// The plugin that emitted it; `nil` for the host's own events.
    public var source: String?

    public init(
        _ type: String, data: JSON, contactID: String? = nil, conversationID: String? = nil, occurredAt: Int64? = nil, source: String? = nil
    ) {
        self.type = type
        self.data = data
        self.contactID = contactID
        self.conversationID = conversationID
        self.occurredAt = occurredAt
        self.source = source
    }
}

/// One plugin of a tenant and the events it subscribed to.
public struct EventSubscriber: Sendable {
    public let pluginID: String
    public let subscription: EventSubscription
}

/// Records events in the transaction of the change that raised them (a transactional outbox) and queues one
/// delivery per subscriber in the same transaction, so an event is delivered exactly when its change commits.
///
/// - Each subscribing plugin gets an `event.deliver` job of its own, and the tenant's rules one `event.rules` job:
///   a failing plugin is retried alone, and the others and the rules never run twice for its sake.
/// - A contact's events are numbered in commit order (`contacts.event_seq`, whose update locks the contact's row until
///   the commit), and each delivery job sits in the lane of its subscriber and contact: the scheduler does not claim it
///   while an earlier one of that lane is pending or running. So every subscriber sees one contact's events one at a
///   time and in order, and different contacts and tenants run side by side.
/// - A plugin does not get the events its own changes raised.
/// - Once committed, the event goes to the tenant's live streams (`EventBus`).
public final class EventLog: Sendable {
    /// The job that hands one event to one plugin's `handle_event`.
    public static let deliverKind = "event.deliver"
    /// The job that runs one event through the tenant's automation rules.
    public static let rulesKind = "event.rules"
    /// Attempts of a delivery before it goes to the dead-letter list and its lane moves on.
    public static let deliveryAttempts = 6

    let jobs: JobStore
    let automation: AutomationStore
    /// The live fan-out to WebSocket streams and other hosts.
    public let live: EventBus
    /// A closure stored directly as a `Mutex`'s value would be wrapped in two more reabstraction thunks by every
    /// `withLock` (its `inout` converts it to the concrete type and back), and each call would then run through all of
    /// them: thousands of events later, recording one took milliseconds. A struct around it keeps one representation.
    private let subscribersOf = Mutex<SubscriberLookup?>(nil)

    private struct SubscriberLookup: Sendable {
        let find: @Sendable (String) -> [EventSubscriber]
    }

    init(jobs: JobStore, automation: AutomationStore, live: EventBus) {
        self.jobs = jobs
        self.automation = automation
        self.live = live
    }

    /// Tells the log where a tenant's subscribers are found (the tenant registry, once it exists).
    public func route(to subscribers: @escaping @Sendable (String) -> [EventSubscriber]) {
        subscribersOf.withLock { $0 = SubscriberLookup(find: subscribers) }
    }

    /// Records `draft` for `tenantID` inside the caller's transaction and queues its deliveries.
    @discardableResult
    public func record(_ draft: EventDraft, tenantID: String, actor: Actor, in connection: SQLConnection) throws -> TenantEvent {
        let now = Clock.nowMillis()
        let sequence = try draft.contactID.flatMap { try nextSequence(tenantID: tenantID, contactID: $0, in: connection) }
        let event = TenantEvent(
            tenantID: tenantID, type: draft.type, occurredAt: draft.occurredAt ?? now, data: draft.data, source: draft.source,
            actor: actor.name, contactID: draft.contactID, conversationID: draft.conversationID, sequence: sequence)
        try connection.execute(
            """
            INSERT INTO events (tenant_id, id, type, contact_id, conversation_id, sequence, occurred_at, recorded_at, source, actor,
                                cause_id, depth, data)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            """,
            [.text(tenantID), .text(event.id), .text(event.type), .text(event.contactID), .text(event.conversationID),
             sequence.map(SQLValue.integer) ?? .null, .integer(event.occurredAt), .integer(now), .text(event.source),
             .text(actor.name), .text(actor.causeID), .integer(Int64(actor.depth)), .text(try draft.data.serialized())])

        let emitted = draft.source != nil
        let subscribers = subscribersOf.withLock { $0 }?.find(tenantID) ?? []
        for subscriber in subscribers
        where subscriber.pluginID != actor.pluginID && subscriber.pluginID != draft.source
            && subscriber.subscription.matches(event.type, emitted: emitted)
        {
            try queue(Self.deliverKind, event, pluginID: subscriber.pluginID, lane: "plugin:\(subscriber.pluginID)", in: connection)
        }
        if try automation.hasActiveRules(tenantID: tenantID, events: EventCatalogue.ruleEvents(for: event.type), in: connection) {
            try queue(Self.rulesKind, event, pluginID: nil, lane: "rules", in: connection)
        }
        connection.afterCommit { [live] in live.publish(event) }
        return event
    }

    /// One delivery job of `event`, in the lane `<lane>:<contact>` when the event has a contact.
    private func queue(_ kind: String, _ event: TenantEvent, pluginID: String?, lane: String, in connection: SQLConnection) throws {
        _ = try jobs.schedule(
            tenantID: event.tenantID, pluginID: pluginID, kind: kind, runAt: Clock.nowMillis(),
            payload: ["event_id": .string(event.id)], uniqueKey: nil, maxAttempts: Self.deliveryAttempts,
            lane: event.sequence.flatMap { _ in event.contactID.map { "\(lane):\($0)" } }, laneSeq: event.sequence, in: connection)
    }

    /// The contact's next event number. Updating the row locks it until the commit, so on PostgreSQL a second
    /// transaction raising an event for the same contact waits and numbers its event after this one.
    /// Nil when the contact does not exist (any more): such an event has no order to keep.
    private func nextSequence(tenantID: String, contactID: String, in connection: SQLConnection) throws -> Int64? {
        try connection.query(
            "UPDATE contacts SET event_seq = event_seq + 1 WHERE tenant_id = $1 AND id = $2 RETURNING event_seq",
            [.text(tenantID), .text(contactID)]
        ).first?.int("event_seq")
    }
}
