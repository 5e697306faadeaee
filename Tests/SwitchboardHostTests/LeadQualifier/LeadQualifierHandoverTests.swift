import Foundation
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// Seed 002 §4's handover triggers and §7's retrieval, through signed WhatsApp webhooks.
@Suite("LeadQualifier: human handover and answers from the knowledge base", .serialized)
struct LeadQualifierHandoverTests {
    /// Opts a lead in, sends the welcome and answers it, so the bot waits for Q1.
    static func atQ1(_ lq: LeadQualifierHarness, _ client: some TestClientProtocol) async throws -> String {
        let contactID = try #require(try await lq.optIn(client).json["contact_id"]?.stringValue)
        await lq.settle(advancing: .seconds(6 * 60))
        try await lq.inbound(client, "ja")
        return contactID
    }

    static func expectHandover(_ lq: LeadQualifierHarness, _ contactID: String, reason: String) throws -> AuditLog.Entry? {
        let conversation = try #require(try lq.conversation(contactID))
        #expect(conversation.owner == "human" && conversation.status == "handover")
        #expect(conversation.attributes["lq_handover_reason"] == .string(reason))
        #expect(lq.whatsAppSends.last?.contains("Ich gebe es ans Team weiter") == true)
        #expect(lq.crmPosts.contains { $0["type"] == "handover" && $0["data"]?["reason"] == .string(reason) })
        return try lq.host.services.audit.entries(tenantID: "lq", action: "handover").first { $0.subject == contactID }
    }

    @Test("an explicit request hands over; the bot stays silent until released, then carries on", arguments: StorageDriver.allCases)
    func explicitRequest(driver: StorageDriver) async throws {
        try await LeadQualifierHarness.run(driver: driver) { lq, client in
            let contactID = try await Self.atQ1(lq, client)
            try await lq.inbound(client, "Kann mich ein Berater anrufen?")
            let audit = try Self.expectHandover(lq, contactID, reason: "requested")
            #expect(audit?.details["reason"] == "requested")
            #expect(try lq.jobs(status: "pending").isEmpty, "no follow-ups while a human has it")
            let count = lq.whatsAppSends.count
            try await lq.inbound(client, "ja")
            #expect(lq.whatsAppSends.count == count, "the bot is silent during a handover")

            let conversationID = try #require(try lq.conversation(contactID)?.id)
            let released = try await lq.api(client).post("/api/leadqualifier/conversations/\(conversationID)/release", [:])
            #expect(released.status == .ok && released.json["lq_state"] == "q1")
            #expect(try lq.conversation(contactID)?.owner == "bot")
            // The "ja" the lead wrote during the handover is answered now: nobody had.
            await lq.settle(advancing: .seconds(LeadQualifierHarness.replyDelaySeconds + 1))
            #expect(lq.whatsAppSends.last?.contains("Wie viele Leads") == true)
            #expect(lq.whatsAppSends.count == count + 1, "one answer")
        }
    }

    @Test("released from the console, the bot resumes: it answers the lead's unanswered message, or asks its question again after a person answered", arguments: StorageDriver.allCases)
    func consoleReleaseResumes(driver: StorageDriver) async throws {
        try await LeadQualifierHarness.run(driver: driver) { lq, client in
            _ = try lq.host.services.credentials.createUser(
                tenantID: "lq", email: "team@lq.test", name: "Team", role: "agent", password: "correct horse battery", actor: "test")
            let browser = ConsoleBrowser(client, domain: "lq.localhost")
            _ = try await browser.signIn("team@lq.test", "correct horse battery")
            func setOwner(_ owner: String, _ conversationID: String) async throws {
                let page = try await browser.get("/console/conversations/\(conversationID)")
                let posted = try await browser.post("/console/conversations/\(conversationID)/owner", [("owner", owner), ("csrf", page.hidden("csrf") ?? "")])
                #expect(posted.status == .seeOther)
                await lq.settle(advancing: .seconds(LeadQualifierHarness.replyDelaySeconds + 1))
            }
            let contactID = try await Self.atQ1(lq, client)
            let conversationID = try #require(try lq.conversation(contactID)?.id)

            // A person takes over; the lead's answer waits; handing back to the bot answers it.
            try await setOwner("human", conversationID)
            let count = lq.whatsAppSends.count
            try await lq.inbound(client, "ja")
            #expect(lq.whatsAppSends.count == count, "silent while a person has it")
            try await setOwner("bot", conversationID)
            #expect(lq.whatsAppSends.last?.contains("Wie viele Leads") == true)
            #expect(try lq.conversation(contactID)?.attributes["lq_state"] == "q2")

            // A person takes over and answers the lead; handing back asks the pending question again.
            try await setOwner("human", conversationID)
            let reply = try await browser.get("/console/conversations/\(conversationID)")
            _ = try await browser.post("/console/conversations/\(conversationID)/reply", [("text", "Ich melde mich gleich!"), ("csrf", reply.hidden("csrf") ?? "")])
            await lq.settle()
            #expect(lq.whatsAppSends.last == "Ich melde mich gleich!")
            try await setOwner("bot", conversationID)
            #expect(lq.whatsAppSends.last?.contains("Wie viele Leads") == true)
            #expect(try lq.conversation(contactID)?.attributes["lq_state"] == "q2")
        }
    }

    @Test("negative sentiment above the threshold hands over and records the score")
    func sentiment() async throws {
        try await LeadQualifierHarness.run { lq, client in
            let contactID = try await Self.atQ1(lq, client)
            try await lq.inbound(client, "Das ist echt nervig und totale Abzocke!!!")
            let audit = try Self.expectHandover(lq, contactID, reason: "negative_sentiment")
            #expect((audit?.details["score"]?.doubleValue ?? 0) >= 0.6)
            #expect((try lq.conversation(contactID)?.attributes["lq_sentiment"]?.doubleValue ?? 0) >= 0.6)
        }
    }

    @Test("more than two misunderstandings in a row hand over")
    func misunderstandings() async throws {
        try await LeadQualifierHarness.run { lq, client in
            let contactID = try await Self.atQ1(lq, client)
            try await lq.inbound(client, "hmm")
            try await lq.inbound(client, "öhm")
            #expect(try lq.conversation(contactID)?.owner == "bot")
            try await lq.inbound(client, "blabla")
            _ = try Self.expectHandover(lq, contactID, reason: "misunderstandings")
        }
    }

    @Test("a price or contract question the knowledge base cannot answer is not guessed: it hands over")
    func unsurePriceQuestion() async throws {
        try await LeadQualifierHarness.run { lq, client in
            let contactID = try await Self.atQ1(lq, client)
            try await lq.inbound(client, "Welche Rabattstaffel gibt es für Konzerne mit Sondervertrag?")
            let audit = try Self.expectHandover(lq, contactID, reason: "price_contract_unsure")
            #expect((audit?.details["confidence"]?.doubleValue ?? 1) < 0.5)
        }
    }

    @Test("a free-text question gets an extractive answer from the approved files, with its source, then the open question again")
    func extractiveAnswer() async throws {
        try await LeadQualifierHarness.run { lq, client in
            let contactID = try await Self.atQ1(lq, client)
            try await lq.inbound(client, "Was kostet das Monatspaket?")
            let answer = try #require(lq.whatsAppSends.last)
            #expect(answer.contains("890 Euro") && answer.contains("Quelle: pricing.md") && answer.contains("Schaltest du aktuell Ads?"))
            #expect(try lq.conversation(contactID)?.attributes["lq_state"] == "q1")

            // A changed file is re-indexed on the next question.
            let faq = URL(fileURLWithPath: try #require(lq.host.configuration.tenantsDirectory)).appendingPathComponent("lq/knowledge/faq.md")
            try "# Häufige Fragen\n\n## Gibt es eine Testphase?\nJa, die Testphase dauert 7 Tage und ist kostenlos.\n".write(to: faq, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: faq.path)
            try await lq.inbound(client, "Gibt es eine Testphase?")
            #expect(lq.whatsAppSends.last?.contains("7 Tage") == true && lq.whatsAppSends.last?.contains("faq.md") == true)
        }
    }

    @Test("with a chat-completions endpoint the model answers from the retrieved passages; an answer naming no source is rejected")
    func modelAnswer() async throws {
        try await LeadQualifierHarness.run(withLLM: true) { lq, client in
            let contactID = try await Self.atQ1(lq, client)
            try await lq.inbound(client, "Wie schnell ist der Bot startklar?")
            #expect(lq.whatsAppSends.last?.contains("[faq.md]") == true)
            #expect(try lq.conversation(contactID)?.attributes["lq_last_answer"]?["via"] == "llm")
            let call = try #require(lq.server.requests.last { $0.path == "/v1/chat/completions" })
            #expect(call.headers["authorization"] == "Bearer sk-test")
            let prompt = call.json
            #expect(prompt["messages"]?.arrayValue?.first?["content"]?.stringValue?.contains("Nutze nur Fakten aus den freigegebenen Quellen") == true)

            lq.behaviour.value.chatReply = "Das geht ganz schnell, vertrau mir."
            try await lq.inbound(client, "Wie schnell ist der Bot startklar?")
            #expect(lq.whatsAppSends.last?.contains("Das geht ganz schnell") == false)
            #expect(lq.whatsAppSends.last?.contains("14 Tagen") == true)
            #expect(try lq.conversation(contactID)?.attributes["lq_last_answer"]?["via"] == "extractive")
        }
    }
}
