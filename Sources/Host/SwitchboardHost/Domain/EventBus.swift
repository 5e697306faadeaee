import Foundation
import SwitchboardJSON

/// A tenant-scoped event: `{type, id, occurred_at, data}`, plus who raised it.
public struct TenantEvent: Sendable {
    public let tenantID: String
    public let type: String
    public let id: String
    public let occurredAt: Int64
    public let data: JSON
    /// The plugin that emitted it, or `nil` for the host.
    public let source: String?
    /// Whether the bus hands it to the tenant's plugins (false when they already have it).
    public internal(set) var deliverToPlugins = true

    public init(tenantID: String, type: String, data: JSON, source: String?) {
        self.tenantID = tenantID
        self.type = type
        self.id = Identifier.make()
        self.occurredAt = Clock.nowMillis()
        self.data = data
        self.source = source
    }

    /// An event raised elsewhere (on another host), keeping its id and time.
    init(tenantID: String, type: String, id: String, occurredAt: Int64, data: JSON, source: String?) {
        self.tenantID = tenantID
        self.type = type
        self.id = id
        self.occurredAt = occurredAt
        self.data = data
        self.source = source
    }

    /// The event as the plugins receive it.
    public var json: JSON {
        .object([
            "type": .string(type), "id": .string(id), "occurred_at": .number(Double(occurredAt)), "data": data,
            "source": source.map(JSON.string) ?? .null,
        ])
    }
}

/// Fans tenant events out to subscribers (the tenant's plugins), WebSocket streams and relays to other hosts.
/// Delivery is asynchronous, so a publisher never re-enters itself.
public final class EventBus: @unchecked Sendable {
    public typealias Subscriber = @Sendable (TenantEvent) async -> Void
    private let lock = NSLock()
    private var subscribers: [Subscriber] = []
    private var relays: [@Sendable (TenantEvent) -> Void] = []

    public init() {}

    public func subscribe(_ subscriber: @escaping Subscriber) {
        lock.withLock { subscribers.append(subscriber) }
    }

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

    private var streams: [UUID: (tenantID: String, continuation: AsyncStream<TenantEvent>.Continuation)] = [:]

    /// Hands `relay` every event published on this host, in order and at once (it must not block),
    /// e.g. to pass it on to the other hosts sharing the database.
    public func relay(to relay: @escaping @Sendable (TenantEvent) -> Void) {
        lock.withLock { relays.append(relay) }
    }

    /// Hands an event published on another host to this host's streams only: the tenant's
    /// plugins had it there, and it is not relayed again.
    public func deliverFromOtherHost(_ event: TenantEvent) {
        var event = event
        event.deliverToPlugins = false
        let listeners = lock.withLock { streams.values.filter { $0.tenantID == event.tenantID } }
        for listener in listeners { listener.continuation.yield(event) }
    }

    /// Publishes an event. With `toPlugins` false, the tenant's plugins have had it already
    /// (the caller delivered it durably) and only observers such as WebSocket clients get it.
    public func publish(_ event: TenantEvent, toPlugins: Bool = true) {
        var event = event
        event.deliverToPlugins = toPlugins
        let tenantID = event.tenantID
        let (current, listeners) = lock.withLock { (subscribers, streams.values.filter { $0.tenantID == tenantID }) }
        let forwarders = lock.withLock { relays }
        for subscriber in current {
            Task { [event] in await subscriber(event) }
        }
        for listener in listeners { listener.continuation.yield(event) }
        for forward in forwarders { forward(event) }
    }
}
