import Foundation
import HummingbirdTesting
import HummingbirdWSClient
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// Seed 004 "WebSocket Events": the plugin's events reach its tenant's stream and no other tenant's.
@Suite("ChargeCarsComms: live events", .serialized)
struct CommsStreamTests {
    @Test("a tenant's /api/communication/stream client gets task.assigned, thread.status and message.new, never another tenant's")
    func stream() async throws {
        try await CommsHarness.run(others: ["beta": manifest(slug: "beta", domain: "b.localhost", plugins: ["chargecars-comms"])]) { cc in
            let betaToken = try cc.host.token("beta", role: "admin")
            try await cc.host.buildApplication().test(.live) { client in
                let port = try #require(client.port)
                let received = EventStreamTests.Received()
                let connected = EventStreamTests.Received()
                let listener = Task {
                    try await WebSocketClient.connect(url: "ws://localhost:\(port)/api/communication/stream?access_token=\(cc.token)", logger: TestEnvironment.logger) { inbound, _, _ in
                        connected.append("open")
                        for try await message in inbound.messages(maxSize: 1 << 16) {
                            if case .text(let text) = message { received.append(text) }
                            if received.count >= 3 { return }
                        }
                    }
                }
                for _ in 0..<100 where connected.count == 0 { try await Task.sleep(for: .milliseconds(20)) }
                try await Task.sleep(for: .milliseconds(100))
                let beta = APIClient(client: client, host: "b.localhost", token: betaToken)
                #expect(try await beta.post("/api/communication/threads", ["thread_subject": "beta secret", "assigned_to_contact_id": "bob"]).status == .created)
                let api = cc.api(client)
                let created = try await api.post("/api/communication/threads", ["thread_subject": "Storing", "assigned_to_contact_id": "alex", "priority": "urgent"])
                let id = try #require(created.json["id"]?.stringValue)
                #expect(try await api.send(.put, "/api/communication/threads/\(id)", json: ["status": "in_progress"]).status == .ok)
                #expect(try await api.post("/api/communication/messages", ["thread_id": .string(id), "message_type": "internal_note", "message_content": "Ik bel"]).status == .created)
                let deadline = Task { try await Task.sleep(for: .seconds(10)); listener.cancel() }
                _ = try? await listener.value
                deadline.cancel()
                let events = received.all.compactMap { try? JSON.parse($0) }
                #expect(events.compactMap { $0["type"]?.stringValue } == ["task.assigned", "thread.status", "message.new"])
                #expect(events.first?["data"]?["urgent"] == true)
                #expect(!received.all.contains { $0.contains("beta secret") })
            }
        }
    }
}
