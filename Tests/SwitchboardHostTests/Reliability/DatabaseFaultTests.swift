import Foundation
import HTTPTypes
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// PostgreSQL restarted under load, on a private cluster (the shared test server keeps serving the others):
/// requests during the outage get 503 problem+json, readiness goes false and true again, the host reconnects,
/// and every create that got a 2xx is stored, none twice.
@Suite("Database faults: PostgreSQL restarted under load")
struct DatabaseFaultTests {
    struct Sent: Sendable {
        let email: String
        let status: Int
        let contentType: String?
    }

    @Test("a restart answers 503 problem+json meanwhile, /readyz goes false then true, the host reconnects and loses no acknowledged write")
    func restartUnderLoad() async throws {
        let postgres = try PrivatePostgres.start()
        defer { postgres.destroy() }
        let host = try TestEnvironment.host(manifests: ["a": manifest(slug: "tenant-a", domain: "a.localhost")]) {
            $0.database = .postgres(url: postgres.url)
        }
        try await host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "a.localhost", token: try host.token("tenant-a", role: "admin"))
            #expect(try await api.get("/readyz").status == .ok)

            let sent = Shared<[Sent]>([])
            let stop = Shared(false)
            let load = Task {
                await withTaskGroup(of: Void.self) { group in
                    for worker in 0..<4 {
                        group.addTask {
                            var index = 0
                            while !stop.value {
                                index += 1
                                let email = "w\(worker)-\(index)@example.com"
                                guard let reply = try? await api.post("/api/v1/contacts", ["email": .string(email)]) else { continue }
                                sent.withValue { $0.append(Sent(email: email, status: Int(reply.status.code), contentType: reply.headers[.contentType])) }
                            }
                        }
                    }
                }
            }
            func created() -> Int { sent.value.filter { $0.status == 201 }.count }
            #expect(try await eventually { created() >= 20 })

            try postgres.halt()
            let down = try await api.get("/readyz")
            #expect(down.status == .serviceUnavailable && down.headers[.contentType]?.hasPrefix("application/problem+json") == true)
            let during = sent.value.count
            #expect(try await eventually { sent.value.count >= during + 20 }, "requests go on during the outage")

            try postgres.resume()
            #expect(try await eventually { try await api.get("/readyz").status == .ok }, "readiness comes back once PostgreSQL is up")
            let before = created()
            #expect(try await eventually { created() >= before + 20 }, "the host reconnected: creates succeed again")
            stop.value = true
            await load.value

            let replies = sent.value
            let unavailable = replies.filter { $0.status == 503 }
            #expect(replies.allSatisfy { $0.status == 201 || $0.status == 503 }, "\(Set(replies.map(\.status)))")
            #expect(!unavailable.isEmpty && unavailable.allSatisfy { $0.contentType?.hasPrefix("application/problem+json") == true })
            let acknowledged = Set(replies.filter { $0.status == 201 }.map(\.email))
            let stored = try host.services.database.read {
                try $0.query("SELECT email FROM contacts WHERE tenant_id = 'tenant-a'", []).compactMap { $0.string("email") }
            }
            #expect(acknowledged.isSubset(of: Set(stored)) && stored.count == Set(stored).count, "every acknowledged create is stored once")
            print("database restart: \(replies.count) requests, \(acknowledged.count) created, \(unavailable.count) answered 503")
        }
    }
}
