import Foundation
import HummingbirdTesting
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// Seed 002 §6 "CRM": LeadQualifier's CRM webhook pointed at MrDJCRM's intake (`POST /hooks/mrdj/crm`) on another
/// tenant of the same host. The two plugins share nothing but HTTP and the HMAC secret.
@Suite("LeadQualifier → MrDJCRM: lead events across tenants", .serialized)
struct LeadQualifierCRMIntakeTests {
    static func mrdjManifest(intakeSecret: String) -> String {
        """
        slug: mrdj
        name: Mr. DJ
        domains: [mrdj.localhost]
        timezone: Europe/Amsterdam
        plugins:
          - id: mrdj-crm
            config:
              owner: Bart
              crm_intake_secret: \(intakeSecret)
        """
    }

    @Test("an opt-in, a qualification and a handover on the leadqualifier tenant become a MrDJCRM lead, a note and a task for its owner")
    func leadQualifierIntoMrDJ() async throws {
        let behaviour = Shared(LeadQualifierHarness.Behaviour())
        try await FakeProvider.run(routes: { LeadQualifierHarness.routes($0, behaviour) }) { graph in
            let secret = try #require(ChannelTests.secrets(["shared": LeadQualifierHarness.crmSecret])["shared"])
            let host = try TestEnvironment.host(manifests: ["mrdj": Self.mrdjManifest(intakeSecret: secret)], configure: { $0.providerTimeoutMillis = 500 })
            try await host.buildApplication().test(.live) { client in
                // The leadqualifier tenant is onboarded once the listener's port is known: its CRM is mrdj's domain on it.
                let intake = "mrdj.localhost:\(try #require(client.port))"
                let yaml = LeadQualifierHarness.manifest(
                    server: graph, crm: "{url: \"http://\(intake)/hooks/mrdj/crm\", secret: \(secret), timeout_ms: 5000}", egress: [intake])
                let admin = APIClient(client: client, host: "localhost", token: "test-admin-token")
                #expect(try await admin.post("/admin/v1/tenants", ["manifest": .string(yaml)]).status == .created)
                let lq = try LeadQualifierHarness(host: host, server: graph, behaviour: behaviour)
                // One job at a time: a CRM post holds a thread-pool thread while MrDJCRM answers it on another.
                lq.batch = 1

                let contactID = try await lq.agreedLead(client)
                try await lq.inbound(client, "jo klar")
                try await lq.inbound(client, "ca. 250")
                try await lq.inbound(client, "Kann mich ein Berater anrufen?")
                #expect(try lq.conversation(contactID)?.owner == "human")
                let posts = try lq.jobs(kind: "crm_post")
                #expect(posts.count >= 6 && posts.allSatisfy { $0.status == "done" }, "every event was taken in: \(posts.map(\.status))")

                let crm = APIClient(client: client, host: "mrdj.localhost", token: try host.token("mrdj", role: "admin"))
                let leads = try await crm.get("/api/crm/leads").json["data"]?.arrayValue ?? []
                #expect(leads.count == 1)
                let lead = try #require(leads.first)
                #expect(lead["phone"] == "+16505551234" && lead["name"] == "Anna Schmidt")
                #expect(lead["source"] == "leadqualifier" && lead["status"] == "qualified")
                let mrdjContact = try #require(try host.services.contacts.find(tenantID: "mrdj", .phone("+16505551234")))
                #expect(lead["contact_id"] == .string(mrdjContact.id) && mrdjContact.id != contactID, "mrdj keeps its own contact")

                let leadID = try #require(lead["id"]?.stringValue)
                let activities = try await crm.get("/api/crm/activities?lead_id=\(leadID)").json["data"]?.arrayValue ?? []
                #expect(activities.contains { $0["kind"] == "note" && $0["subject"] == "leadqualifier: inbound_message" })
                let qualified = activities.first { $0["subject"] == "leadqualifier: qualified" }
                #expect(qualified?["body"]?.stringValue?.contains("monthly_leads_bucket: 100-300") == true)
                let handover = try #require(activities.first { $0["kind"] == "task" })
                #expect(handover["subject"] == "Overnemen van leadqualifier: requested" && handover["author"] == "leadqualifier")
                #expect(handover["body"]?.stringValue?.contains("last_message: Kann mich ein Berater anrufen?") == true)
                let taskID = try #require(handover["task_id"]?.stringValue)
                let task = try await crm.get("/api/v1/tasks/\(taskID)")
                #expect(task.json["assignee"] == "Bart" && task.json["priority"] == "high")
            }
        }
    }

    @Test("the intake refuses a forged signature and an unknown type, needs a phone or email for a new lead, and takes each event_id once")
    func intakeContract() async throws {
        let secret = try #require(ChannelTests.secrets(["shared": LeadQualifierHarness.crmSecret])["shared"])
        let host = try TestEnvironment.host(manifests: ["mrdj": Self.mrdjManifest(intakeSecret: secret)])
        try await host.buildApplication().test(.router) { client in
            func post(_ event: JSON, secret: String = LeadQualifierHarness.crmSecret) async throws -> APIClient.Reply {
                let body = try event.serialized()
                let signature = "sha256=" + Crypto.hex(Crypto.hmacSHA256(key: Array(secret.utf8), data: Array(body.utf8)))
                return try await client.execute(
                    uri: "/hooks/mrdj/crm", method: .post,
                    headers: [.init("Host")!: "mrdj.localhost", .init("X-Signature")!: signature, .contentType: "application/json"],
                    body: ByteBuffer(string: body)
                ) { response in
                    let text = String(buffer: response.body)
                    return APIClient.Reply(status: response.status, headers: response.headers, json: (try? JSON.parse(text)) ?? .null, text: text)
                }
            }
            let upsert: JSON = ["type": "lead_upsert", "source": "forms", "event_id": "e1", "data": ["contact_id": "x1", "name": "Eva", "email": "eva@example.com"]]
            #expect(try await post(upsert, secret: "wrong").status == .unauthorized)
            #expect(try await post(["type": "deal_won", "data": ["contact_id": "x1"]]).status.code / 100 == 4)
            #expect(try await post(["type": "activity", "source": "forms", "data": ["contact_id": "nobody", "kind": "call"]]).status == .notFound)

            let created = try await post(upsert)
            #expect(created.status == .ok && created.json["duplicate"] == false)
            let leadID = try #require(created.json["lead_id"]?.stringValue)
            let again = try await post(upsert)
            #expect(again.json["duplicate"] == true && again.json["lead_id"] == .string(leadID))
            let lost: JSON = ["type": "lead_upsert", "source": "forms", "event_id": "e2", "data": ["contact_id": "x1", "status": "disqualified"]]
            #expect(try await post(lost).json["lead_id"] == .string(leadID), "later events find the lead by the sender's contact id")

            let crm = APIClient(client: client, host: "mrdj.localhost", token: try host.token("mrdj", role: "admin"))
            #expect(try await crm.get("/api/crm/leads/\(leadID)").json["status"] == "lost")
            #expect(try await crm.get("/api/crm/leads").json["data"]?.arrayValue?.count == 1)
        }
    }
}
