import Foundation
import Synchronization
import Testing

@testable import SwitchboardHost

extension ScaleOutTests {
    @Suite("kill -9 during load")
    struct KillDuringLoadTests {
        static let total = 200
        static let senders = 10

        @Test(
            "every webhook acknowledged before kill -9 is stored and answered exactly once after the restart; resends are deduplicated",
            arguments: StorageDriver.allCases)
        func killedMidStream(driver: StorageDriver) async throws {
            switch driver {
            case .sqlite: try await run(setup: HostProcessFleet.setUp())
            case .postgres: try await PostgresTestServer.withSchema { url in try await run(setup: HostProcessFleet.setUp(postgresURL: url)) }
            }
        }

        private func run(setup: SwitchboardHost) async throws {
            let database = setup.services.database
            let first = try await HostProcessFleet.start(like: setup)

            // Ten concurrent senders share the webhooks; the host dies by SIGKILL once a third of them have been acknowledged.
            let progress = LoadProgress()
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<Self.senders {
                    group.addTask {
                        while let number = progress.next(upTo: Self.total) {
                            guard let reply = try? await HostProcessFleet.webhook(number, to: first), (200..<300).contains(reply.status.code) else { continue }
                            if progress.acknowledge(number, killAt: Self.total / 3) { first.stop(signal: SIGKILL) }
                        }
                    }
                }
            }
            let confirmed = progress.acknowledged
            #expect(progress.killed, "the host was never killed")
            #expect(confirmed.count < Self.total, "the kill came after every webhook was answered")

            // Whatever got a 2xx was committed before the answer.
            let stored = try await offloaded {
                Set(try database.read {
                    try $0.query("SELECT provider_message_id FROM messages WHERE tenant_id = $1 AND direction = 'inbound'", [.text(HostProcessFleet.slug)])
                }.compactMap { $0.string("provider_message_id") })
            }
            let lost = confirmed.filter { !stored.contains("msg-\($0)") }
            #expect(lost.isEmpty, "acknowledged but not stored: \(lost.sorted())")

            // Restarted on the same database: every webhook is sent again; the acknowledged ones are duplicates.
            let second = try await HostProcessFleet.start(like: setup)
            defer { second.stop() }
            let resent = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                for number in 1...Self.total {
                    group.addTask { (number, Int(try await HostProcessFleet.webhook(number, to: second).status.code)) }
                }
                return try await group.reduce(into: [Int: Int]()) { $0[$1.0] = $1.1 }
            }
            #expect(confirmed.allSatisfy { resent[$0] == 200 }, "an acknowledged webhook was not recognised as a duplicate")
            #expect(resent.values.allSatisfy { $0 == 200 || $0 == 202 })

            // The scheduler rescues the jobs the dead host held once their lease runs out, and settles.
            let counts = try await HostProcessFleet.settle(database) { $0.dispatched == Self.total && $0.outbound == Self.total }
            #expect(counts == .init(inbound: Self.total, outbound: Self.total, dispatched: Self.total, pendingJobs: 0), "\(second.output)")
            let replies = try HostProcessFleet.repliesPerConversation(database)
            #expect(replies.count == Self.total && replies.values.allSatisfy { $0 == 1 }, "a message was answered twice or not at all")
        }
    }
}

/// The webhooks sent and acknowledged so far, and whether the host has been killed.
private final class LoadProgress: Sendable {
    private let state = Mutex<(sent: Int, acknowledged: Set<Int>, killed: Bool)>((0, [], false))

    /// The next webhook number to send, or `nil` after `total`.
    func next(upTo total: Int) -> Int? {
        state.withLock { state in
            guard state.sent < total else { return nil }
            state.sent += 1
            return state.sent
        }
    }

    /// Records an acknowledged webhook; true exactly once, when `threshold` have been acknowledged.
    func acknowledge(_ number: Int, killAt threshold: Int) -> Bool {
        state.withLock { state in
            state.acknowledged.insert(number)
            guard state.acknowledged.count >= threshold, !state.killed else { return false }
            state.killed = true
            return true
        }
    }

    var acknowledged: Set<Int> { state.withLock { $0.acknowledged } }
    var killed: Bool { state.withLock { $0.killed } }
}
