import Foundation
import SwitchboardJSON

/// A tenant event as it was recorded: `{type, id, occurred_at, data}`, what it is about, who raised it and where it
/// stands in its contact's order.
public struct TenantEvent: Sendable {
    public let tenantID: String
    public let type: String
    public let id: String
    public let occurredAt: Int64
    public let data: JSON
    /// The plugin that emitted it, or `nil` for the host.
    public let source: String?
    /// Who caused it (`Actor.name`).
    public let actor: String
    public let contactID: String?
    public let conversationID: String?
    /// Its place among the events of its contact, counting from 1 in commit order; `nil` without a contact.
    public let sequence: Int64?

    public init(
        tenantID: String, type: String, id: String = Identifier.make(), occurredAt: Int64 = Clock.nowMillis(), data: JSON,
        source: String?, actor: String = "system", contactID: String? = nil, conversationID: String? = nil, sequence: Int64? = nil
    ) {
        self.tenantID = tenantID
        self.type = type
        self.id = id
        self.occurredAt = occurredAt
        self.data = data
        self.source = source
        self.actor = actor
        self.contactID = contactID
        self.conversationID = conversationID
        self.sequence = sequence
    }

    /// The event as plugins and live streams receive it (the envelope of docs/plugin-abi.md).
    public var json: JSON {
        var members: [String: JSON] = [
            "type": .string(type), "id": .string(id), "occurred_at": .number(Double(occurredAt)), "data": data,
            "source": source.map(JSON.string) ?? .null, "actor": .string(actor),
        ]
        if let contactID { members["contact_id"] = .string(contactID) }
        if let conversationID { members["conversation_id"] = .string(conversationID) }
        if let sequence { members["sequence"] = .number(Double(sequence)) }
        return .object(members)
    }

    /// Reads an event back from its envelope (another host's relayed event).
    init?(tenantID: String, envelope event: JSON) {
        guard let type = event["type"]?.stringValue, let id = event["id"]?.stringValue else { return nil }
        self.init(
            tenantID: tenantID, type: type, id: id, occurredAt: Int64(event["occurred_at"]?.doubleValue ?? 0), data: event["data"] ?? .null,
            source: event["source"]?.stringValue, actor: event["actor"]?.stringValue ?? "system", contactID: event["contact_id"]?.stringValue,
            conversationID: event["conversation_id"]?.stringValue, sequence: event["sequence"]?.doubleValue.map { Int64($0) })
    }
}

/// Hands committed events to the live views: the tenant's WebSocket streams on this host, and relays that pass them
/// to the other hosts sharing the database. Plugins and rules do not listen here; they get each event durably
/// through the `EventLog`. A publisher never waits for a listener.
public final class EventBus: @unchecked Sendable {
    private let lock = NSLock()
    private var relays: [@Sendable (TenantEvent) -> Void] = []
    private var streams: [UUID: (tenantID: String, continuation: AsyncStream<TenantEvent>.Continuation)] = [:]

    public init() {}

    /// The events of one tenant as they are published, until the stream's consumer goes away.
    /// A slow consumer loses the oldest events beyond `buffer`, never blocks the publisher.
    public func stream(tenantID: String, buffer: Int = 256) -> AsyncStream<TenantEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: TenantEvent.self, bufferingPolicy: .bufferingNewest(buffer))
        let key = UUID()
        lock.withLock { streams[key] = (tenantID, continuation) }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            self.lock.withLock { _ = self.streams.removeValue(forKey: key) }
        }
        return stream
    }

    /// Hands `relay` every event published on this host, in order and at once (it must not block),
    /// e.g. to pass it on to the other hosts sharing the database.
    public func relay(to relay: @escaping @Sendable (TenantEvent) -> Void) {
        lock.withLock { relays.append(relay) }
    }

    /// Hands an event published on another host to this host's streams only; it is not relayed again.
    public func deliverFromOtherHost(_ event: TenantEvent) {
        for listener in listeners(of: event.tenantID) { listener.yield(event) }
    }

    /// Publishes a committed event to this host's streams and to the relays.
    public func publish(_ event: TenantEvent) {
        for listener in listeners(of: event.tenantID) { listener.yield(event) }
        for forward in lock.withLock({ relays }) { forward(event) }
    }

    private func listeners(of tenantID: String) -> [AsyncStream<TenantEvent>.Continuation] {
        lock.withLock { streams.values.filter { $0.tenantID == tenantID }.map(\.continuation) }
    }
}
