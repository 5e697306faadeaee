import Foundation
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("Events relayed between hosts through PostgreSQL LISTEN/NOTIFY")
struct EventRelayTests {
    @Test("another host's streams get each event in order, and large data arrives truncated")
    func relayBetweenTwoBuses() async throws {
        try await PostgresTestServer.withSchema { url in
            let database = try DatabaseLocation.postgres(url: url).open(poolSize: 2)
            let (sender, receiver) = (EventBus(), EventBus())
            let running = [sender, receiver].map { bus in
                Task { try await PostgresEventRelay(url: url, database: database, events: bus, logger: TestEnvironment.logger).run() }
            }
            defer { running.forEach { $0.cancel() } }
            let arrivals = Shared<[TenantEvent]>([])
            let remote = receiver.stream(tenantID: "acme")
            let collector = Task { for await event in remote { arrivals.value.append(event) } }
            defer { collector.cancel() }

            // The listeners start in the background: publish probes until one gets across.
            #expect(try await Self.probe(from: sender, until: { !arrivals.value.isEmpty }), "no event got across")
            let small = TenantEvent(tenantID: "acme", type: "message.received", data: ["text": "hallo"], source: "bot")
            let large = TenantEvent(tenantID: "acme", type: "message.received", data: ["text": .string(String(repeating: "x", count: 20_000))], source: nil)
            sender.publish(TenantEvent(tenantID: "other", type: "message.received", data: ["secret": "other's"], source: nil))
            sender.publish(small)
            sender.publish(large)
            func relayed() -> [TenantEvent] { arrivals.value.filter { $0.type != "probe" } }
            for _ in 0..<200 where relayed().count < 2 { try await Task.sleep(for: .milliseconds(50)) }

            let arrived = relayed()
            #expect(arrived.map(\.id) == [small.id, large.id], "in order, and nothing of another tenant")
            #expect(arrived.first?.data == ["text": "hallo"] && arrived.first?.source == "bot" && arrived.first?.occurredAt == small.occurredAt)
            #expect(arrived.last?.data == ["truncated": true])
        }
    }

    @Test("a listener whose connection the server ends reconnects and receives again")
    func listenerReconnects() async throws {
        try await PostgresTestServer.withSchema { url in
            let database = try DatabaseLocation.postgres(url: url).open(poolSize: 2)
            let (sender, receiver) = (EventBus(), EventBus())
            let running = [sender, receiver].map { bus in
                var relay = PostgresEventRelay(url: url, database: database, events: bus, logger: TestEnvironment.logger)
                relay.reconnectDelay = .milliseconds(100)
                return Task { [relay] in try await relay.run() }
            }
            defer { running.forEach { $0.cancel() } }
            let arrivals = Shared(0)
            let remote = receiver.stream(tenantID: "acme")
            let collector = Task { for await _ in remote { arrivals.value += 1 } }
            defer { collector.cancel() }
            #expect(try await Self.probe(from: sender, until: { arrivals.value > 0 }), "no event got across")

            // The listening connections of this schema's channel (they never run another statement) are ended by the server.
            let ended = try database.read {
                try $0.query(
                    """
                    SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
                    WHERE query = 'LISTEN "switchboard.' || current_schema() || '"'
                    """)
            }
            #expect(ended.count == 2, "both relays listen on their own connection")
            let before = arrivals.value
            #expect(try await Self.probe(from: sender, until: { arrivals.value > before }), "the listener never came back")
        }
    }

    /// Publishes probe events every 50 ms until `arrived` holds (true) or 10 seconds pass (false).
    private static func probe(from bus: EventBus, until arrived: () -> Bool) async throws -> Bool {
        for _ in 0..<200 {
            if arrived() { return true }
            bus.publish(TenantEvent(tenantID: "acme", type: "probe", data: .null, source: nil))
            try await Task.sleep(for: .milliseconds(50))
        }
        return arrived()
    }

    @Test("a host drops its own notifications and unreadable payloads, and keeps every payload under PostgreSQL's limit")
    func ownAndBadPayloads() async throws {
        let bus = EventBus()
        let database = try DatabaseLocation.sqlite(path: ":memory:").open()
        let relay = PostgresEventRelay(url: "postgres://unused", database: database, events: bus, logger: TestEnvironment.logger)
        let other = PostgresEventRelay(url: "postgres://unused", database: database, events: EventBus(), logger: TestEnvironment.logger)
        let stream = bus.stream(tenantID: "acme")
        let event = TenantEvent(tenantID: "acme", type: "note", data: ["n": 1], source: nil)
        let huge = TenantEvent(tenantID: "acme", type: "note", data: ["blob": .string(String(repeating: "é", count: 10_000))], source: nil)

        relay.deliver(try #require(relay.payload(for: event)))
        relay.deliver("not json")
        relay.deliver(#"{"origin": "elsewhere", "tenant": "acme"}"#)
        let hugePayload = try #require(other.payload(for: huge))
        #expect(hugePayload.utf8.count <= PostgresEventRelay.maxPayloadBytes)
        relay.deliver(hugePayload)
        relay.deliver(try #require(other.payload(for: event)))

        // Deliveries are synchronous, so the stream already holds all it will get, in order.
        var received: [String] = []
        for await next in stream {
            received.append(next.id)
            if received.count == 2 { break }
        }
        #expect(received == [huge.id, event.id], "only the other host's readable events, once each")
    }
}
