import Foundation
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

extension ScaleOutTests {
    @Suite("Two host processes on one PostgreSQL database")
    struct TwoHostProcessesTests {
        @Test("webhooks sent to both are handled once, jobs run once, events reach the other host's WebSocket, onboarding spreads")
        func twoProcessesShareTheWork() async throws {
            try await PostgresTestServer.withSchema { url in
                let setup = try HostProcessFleet.setUp(postgresURL: url)
                let token = try setup.token(HostProcessFleet.slug, role: "agent")
                let a = try await HostProcessFleet.start(like: setup)
                let b = try await HostProcessFleet.start(like: setup)
                defer {
                    a.stop()
                    b.stop()
                }

                // A webhook on host A: its message.received event is raised by whichever host runs the dispatch job,
                // and a WebSocket client on each host gets it once, so one of them got it from the other host.
                let clients = [a, b].map { EventStreamClient(port: $0.port, token: token) }
                defer { clients.forEach { $0.close() } }
                for _ in 0..<500 where !clients.allSatisfy { $0.isOpen } { try await Task.sleep(for: .milliseconds(20)) }
                try #require(clients.allSatisfy { $0.isOpen }, "a WebSocket client could not connect")
                try #require(try await HostProcessFleet.waitForListeners(2, on: setup.services.database), "the hosts' event relays never listened")
                #expect(try await HostProcessFleet.webhook(0, to: a).status == .accepted)
                func eventsAboutMessageZero(_ client: EventStreamClient) -> Int {
                    client.events.filter { $0["type"] == "message.received" && $0["data"]?["message"]?["provider_message_id"] == "msg-0" }.count
                }
                for _ in 0..<200 where clients.contains(where: { eventsAboutMessageZero($0) == 0 }) { try await Task.sleep(for: .milliseconds(50)) }
                #expect(clients.map(eventsAboutMessageZero) == [1, 1], "each host's client gets the event once:\n\(a.output)\n\(b.output)")

                // The same 40 messages sent to both hosts at once: each is stored, dispatched and answered once.
                let count = 40
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for number in 1...count {
                        for host in [a, b] {
                            group.addTask { Int(try await HostProcessFleet.webhook(number, to: host).status.code) }
                        }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(statuses.filter { $0 == 202 }.count == count, "one of each pair is accepted")
                #expect(statuses.filter { $0 == 200 }.count == count, "the other is a duplicate")
                let counts = try await HostProcessFleet.settle(setup.services.database) { $0.dispatched == count + 1 }
                #expect(counts == .init(inbound: count + 1, outbound: count + 1, dispatched: count + 1, pendingJobs: 0))
                let replies = try HostProcessFleet.repliesPerConversation(setup.services.database)
                #expect(replies.count == count + 1 && replies.values.allSatisfy { $0 == 1 }, "\(replies)")
                #expect(clients.map(eventsAboutMessageZero) == [1, 1], "an event reached a client twice")
                // The replies are idempotent, so show directly that no job ran twice: each was claimed once and its rule ran once.
                let reruns = try setup.services.database.read {
                    try $0.query("SELECT COUNT(*) AS n FROM jobs WHERE tenant_id = $1 AND attempts <> 1", [.text(HostProcessFleet.slug)])
                }
                #expect(reruns.first?.int("n") == 0)
                let ruleRuns = try setup.services.automation.runs(tenantID: HostProcessFleet.slug, ruleID: "manifest:auto_reply", limit: 500)
                #expect(ruleRuns.count == count + 1 && ruleRuns.allSatisfy { $0.outcome == "applied" })

                // A tenant onboarded through the admin API on A is served by B within a second.
                let newcomer = manifest(slug: "newco", domain: "newco.localhost")
                let onboard = try await a.send(.post, "/admin/v1/tenants", raw: .init(string: newcomer), contentType: "application/yaml", token: HostProcessFleet.adminToken)
                #expect(onboard.status == .created, "\(onboard.text)")
                let onboarded = ContinuousClock.now
                var served = false
                while !served, ContinuousClock.now - onboarded < .seconds(1) {
                    served = try await b.send(.get, "/api/v1/tenant", host: "newco.localhost").status == .ok
                    if !served { try await Task.sleep(for: .milliseconds(20)) }
                }
                #expect(served, "host B did not serve the tenant onboarded on host A within a second")
            }
        }
    }
}
