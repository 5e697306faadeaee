import Foundation
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("Live events over WebSocket")
struct EventStreamTests {
    @Test("a tenant's WebSocket client receives its own events and never another tenant's; a bad token is refused")
    func tenantStream() async throws {
        let host = try TestEnvironment.host(manifests: [
            "a": manifest(slug: "alpha", domain: "localhost"), "b": manifest(slug: "beta", domain: "b.localhost"),
        ], configure: { $0.scheduler.enabled = false })
        let token = try host.token("alpha", role: "agent")
        try await host.buildApplication().test(.live) { client in
            let port = try #require(client.port)
            let received = Received()
            let connected = Received()
            let listener = Task {
                try await WebSocketClient.connect(url: "ws://localhost:\(port)/api/v1/stream?access_token=\(token)", logger: TestEnvironment.logger) { inbound, _, _ in
                    connected.append("open")
                    for try await message in inbound.messages(maxSize: 1 << 16) {
                        if case .text(let text) = message { received.append(text) }
                        if received.count >= 2 { return }
                    }
                }
            }
            for _ in 0..<100 where connected.count == 0 { try await Task.sleep(for: .milliseconds(20)) }
            try await Task.sleep(for: .milliseconds(100))
            let events = host.services.events
            events.live.publish(TenantEvent(tenantID: "beta", type: "message.received", data: ["secret": "beta's"], source: nil))
            events.live.publish(TenantEvent(tenantID: "alpha", type: "message.received", data: ["n": 1], source: nil))
            events.live.publish(TenantEvent(tenantID: "alpha", type: "sla.alert", data: ["n": 2], source: nil))
            let deadline = Task { try await Task.sleep(for: .seconds(10)); listener.cancel() }
            _ = try? await listener.value
            deadline.cancel()
            let texts = received.all
            #expect(texts.count == 2)
            #expect(!texts.contains { $0.contains("beta's") })
            #expect(texts.first.flatMap { try? JSON.parse($0) }?["type"] == "message.received")

            // A wrong token gets no upgrade.
            await #expect(throws: (any Error).self) {
                try await WebSocketClient.connect(url: "ws://localhost:\(port)/api/v1/stream?access_token=sbt_00000000_nope", logger: TestEnvironment.logger) { _, _, _ in }
            }
        }
    }

    final class Received: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String] = []
        func append(_ item: String) { lock.withLock { items.append(item) } }
        var all: [String] { lock.withLock { items } }
        var count: Int { lock.withLock { items.count } }
    }
}
