import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import SwitchboardJSON

/// Carries tenant events between the hosts that share one PostgreSQL database, so a WebSocket client
/// on any host sees the events raised on every host.
///
/// Each event published on this host is sent with `pg_notify` on the channel `switchboard.<schema>`
/// as `{origin, tenant, event}`; a dedicated connection LISTENs on that channel and hands the events of
/// the other hosts to this host's streams only (`EventBus.deliverFromOtherHost`): plugins had them on
/// the host that raised them, and nothing is relayed twice. NOTIFY payloads stop at 8000 bytes, so an
/// event whose payload would pass `maxPayloadBytes` travels with `data: {"truncated": true}` and the
/// client reads the full record through the REST API. The listener reconnects after a lost connection;
/// events raised while it was away are not replayed.
struct PostgresEventRelay: Service {
    /// The largest payload sent; PostgreSQL refuses more than 8000 bytes.
    static let maxPayloadBytes = 7900
    /// How long the listener waits on its socket before it checks for shutdown.
    static let pollMillis: Int32 = 250

    let url: String
    let database: Database
    let events: EventBus
    let logger: Logger
    /// Marks this host's own notifications, which come back to its listener too.
    let origin = UUID().uuidString
    var reconnectDelay: Duration = .seconds(1)

    func run() async throws {
        let (outgoing, continuation) = AsyncStream.makeStream(of: TenantEvent.self, bufferingPolicy: .bufferingNewest(10_000))
        events.relay { continuation.yield($0) }
        let threads = NIOThreadPool(numberOfThreads: 1)
        threads.start()
        defer { threads.shutdownGracefully { _ in } }
        guard let channel = await channelName() else { return }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await publish(outgoing, on: channel) }
                group.addTask { await listen(on: channel, threads: threads) }
            }
        }
    }

    /// `switchboard.<schema>`: hosts share events when they share the database and the schema.
    private func channelName() async -> String? {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let schema = try await database.perform { [database] in
                    try database.read { try $0.query("SELECT current_schema() AS name").first?.string("name") }
                }
                return "switchboard.\(schema ?? "public")"
            } catch {
                logger.error("event relay cannot read the schema: \(error)")
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: reconnectDelay) }
            }
        }
        return nil
    }

    /// Sends each local event, in order, to the other hosts.
    private func publish(_ outgoing: AsyncStream<TenantEvent>, on channel: String) async {
        for await event in outgoing {
            guard let payload = payload(for: event) else { continue }
            do {
                _ = try await database.perform { [database] in
                    try database.read { try $0.query("SELECT pg_notify($1, $2)", [.text(channel), .text(payload)]) }
                }
            } catch {
                logger.error("event relay could not send \(event.type): \(error)", metadata: ["tenant": "\(event.tenantID)"])
            }
        }
    }

    /// Listens until cancelled, reconnecting after a lost connection.
    private func listen(on channel: String, threads: NIOThreadPool) async {
        while !Task.isCancelled {
            do {
                let connection = try await threads.runIfActive { [url] in
                    let connection = try PostgresConnection(url: url)
                    try connection.listen(channel)
                    return UncheckedConnection(connection: connection)
                }
                while !Task.isCancelled {
                    let received = try await threads.runIfActive {
                        try connection.connection.notifications(timeoutMillis: Self.pollMillis)
                    }
                    for notification in received { deliver(notification.payload) }
                }
            } catch {
                guard !Task.isCancelled else { return }
                logger.error("event relay lost its PostgreSQL connection, reconnecting: \(error)")
                try? await Task.sleep(for: reconnectDelay)
            }
        }
    }

    /// The notification payload, with the event's data cut when the whole would pass `maxPayloadBytes`.
    func payload(for event: TenantEvent) -> String? {
        func encoded(_ event: TenantEvent) -> String? {
            try? JSON.object(["origin": .string(origin), "tenant": .string(event.tenantID), "event": event.json]).serialized()
        }
        guard let full = encoded(event) else { return nil }
        if full.utf8.count <= Self.maxPayloadBytes { return full }
        let cut = TenantEvent(
            tenantID: event.tenantID, type: event.type, id: event.id, occurredAt: event.occurredAt, data: ["truncated": true],
            source: event.source, actor: event.actor, contactID: event.contactID, conversationID: event.conversationID,
            sequence: event.sequence)
        return encoded(cut).flatMap { $0.utf8.count <= Self.maxPayloadBytes ? $0 : nil }
    }

    /// Hands another host's event to the local streams; this host's own and unreadable payloads are dropped.
    func deliver(_ payload: String) {
        guard let message = try? JSON.parse(payload), message["origin"]?.stringValue != origin,
            let tenant = message["tenant"]?.stringValue, let envelope = message["event"],
            let event = TenantEvent(tenantID: tenant, envelope: envelope)
        else { return }
        events.deliverFromOtherHost(event)
    }
}

/// The listening connection, used by one thread at a time: the relay's single-thread pool.
private struct UncheckedConnection: @unchecked Sendable {
    let connection: PostgresConnection
}
