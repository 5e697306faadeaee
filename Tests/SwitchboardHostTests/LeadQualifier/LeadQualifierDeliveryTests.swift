import Foundation
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// Seed 002 §9 "Technisch" on the WhatsApp side: the bot's messages when the Graph API times out or keeps failing.
/// (Duplicate inbound events: `LeadQualifierFlowTests.clarifyAndDuplicate`; the CRM's retries and dead letters:
/// `LeadQualifierComplianceTests.crmRetries`.)
@Suite("LeadQualifier: provider timeouts, retries and the dead-letter list", .serialized)
struct LeadQualifierDeliveryTests {
    @Test("a WhatsApp send that times out is retried after a backoff and delivered")
    func providerTimeout() async throws {
        try await LeadQualifierHarness.run { lq, client in
            lq.behaviour.value.graphDelayFirst = true
            _ = try await lq.optIn(client)
            await lq.settle(advancing: .seconds(6 * 60))
            let welcome = try #require(try lq.deliveries().first)
            #expect(welcome.status == "pending" && welcome.attempts == 1, "the timed-out attempt is scheduled again")
            #expect(welcome.lastError?.isEmpty == false)

            await lq.settle(advancing: .seconds(6 * 60 + 10))
            let retried = try #require(try lq.deliveries().first { $0.id == welcome.id })
            #expect(retried.status == "done" && retried.attempts == 2)
            #expect(lq.whatsAppSends == ["template:lead_welcome_v1", "template:lead_welcome_v1"], "the call that timed out, then the retry")
            let conversation = try #require(try lq.conversation(try lq.contactID()))
            let messages = try lq.host.services.conversations.messages(tenantID: "lq", conversationID: conversation.id, page: PageRequest(limit: 10)).data
            #expect(messages.count == 1 && messages.first?.status == "sent" && messages.first?.providerMessageID == "wamid.OUT2")
        }
    }

    @Test("a WhatsApp send that keeps failing ends in the dead-letter list; retried over the API once Graph is back, it is delivered")
    func deadLetter() async throws {
        try await LeadQualifierHarness.run { lq, client in
            lq.behaviour.value.graphFailures = 100
            _ = try await lq.optIn(client)
            for minute in 6...12 { await lq.settle(advancing: .seconds(minute * 60)) }
            let api = lq.api(client)
            let dead = try await api.get("/api/v1/jobs?status=dead").json["data"]?.arrayValue ?? []
            #expect(dead.count == 1)
            let job = try #require(dead.first)
            #expect(job["kind"] == "message.deliver" && job["attempts"] == 6)
            #expect(job["last_error"]?.stringValue?.contains("503") == true, "\(job["last_error"] ?? .null)")
            #expect(lq.whatsAppSends.count == 6)
            let conversation = try #require(try lq.conversation(try lq.contactID()))
            func welcome() throws -> Message? {
                try lq.host.services.conversations.messages(tenantID: "lq", conversationID: conversation.id, page: PageRequest(limit: 10)).data.first
            }
            #expect(try welcome()?.status == "failed" && welcome()?.errorCode == "retries_exhausted")

            lq.behaviour.value.graphFailures = 0
            let jobID = try #require(job["id"]?.stringValue)
            let retried = try await api.post("/api/v1/jobs/\(jobID)/retry", [:])
            #expect(retried.status == .ok && retried.json["status"] == "pending")
            await lq.settle(advancing: .seconds(13 * 60))
            #expect(try await api.get("/api/v1/jobs?status=dead").json["data"]?.arrayValue?.isEmpty == true)
            #expect(lq.whatsAppSends.count == 7 && lq.whatsAppSends.last == "template:lead_welcome_v1")
            #expect(try welcome()?.status == "sent" && welcome()?.errorCode == nil)
        }
    }
}
