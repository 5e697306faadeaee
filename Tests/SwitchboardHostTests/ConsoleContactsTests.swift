import Foundation
import HTTPTypes
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("Console contacts")
struct ConsoleContactsTests {
    @Test("attribute edits are checked against the declared types; a bad value saves nothing; labels are added and removed; a viewer only reads")
    func editAttributes() async throws {
        let yaml = manifest(slug: "alpha", domain: "alpha.localhost") + """

            attributes:
              contact:
                lessons: number
                is_adult: boolean
                birthday: date
                subjects: list
            """
        let host = try TestEnvironment.host(manifests: ["a": yaml])
        for (email, role) in [("agent@alpha.test", "agent"), ("viewer@alpha.test", "viewer")] {
            _ = try host.services.credentials.createUser(tenantID: "alpha", email: email, name: email, role: role, password: "correct horse battery", actor: "test")
        }
        let contact = try host.services.contacts.create(tenantID: "alpha", name: "Sanne de Vries", phone: "+31611112222", email: nil, attributes: ["lessons": 3])
        try await host.buildApplication().test(.router) { client in
            let agent = ConsoleBrowser(client, domain: "alpha.localhost")
            _ = try await agent.signIn("agent@alpha.test", "correct horse battery")
            let list = try await agent.get("/console/contacts?q=Sanne")
            #expect(list.status == .ok && list.html.contains("/console/contacts/\(contact.id)"))
            let detail = try await agent.get("/console/contacts/\(contact.id)")
            #expect(detail.html.contains("id=\"attr-lessons\"") && detail.html.contains("value=\"3\"") && detail.html.contains("<select id=\"attr-is_adult\""))
            let csrf = try #require(detail.hidden("csrf"))

            let refused = try await agent.post("/console/contacts/\(contact.id)", [
                ("csrf", csrf), ("attr.lessons", "veel"), ("attr.is_adult", "true"), ("attr.birthday", "31-02-2010"), ("attr.subjects", ""),
            ])
            #expect(refused.status == .unprocessableContent)
            #expect(refused.html.contains("&quot;veel&quot; is not a number") && refused.html.contains("aria-invalid=\"true\""))
            let unchanged = try #require(try host.services.contacts.find(tenantID: "alpha", .id(contact.id)))
            #expect(unchanged.attributes["lessons"] == 3 && unchanged.attributes["is_adult"] == nil, "nothing half-written")

            let saved = try await agent.post("/console/contacts/\(contact.id)", [
                ("csrf", csrf), ("attr.lessons", "4"), ("attr.is_adult", "false"), ("attr.birthday", "2010-02-14"), ("attr.subjects", "wiskunde, natuurkunde"),
            ])
            #expect(saved.status == .seeOther)
            let updated = try #require(try host.services.contacts.find(tenantID: "alpha", .id(contact.id)))
            #expect(updated.attributes["lessons"] == 4 && updated.attributes["is_adult"] == false && updated.attributes["birthday"] == "2010-02-14")
            #expect(updated.attributes["subjects"] == ["wiskunde", "natuurkunde"])

            #expect(try await agent.post("/console/contacts/\(contact.id)/labels", [("csrf", csrf), ("label", "vip")]).status == .seeOther)
            #expect(try host.services.contacts.find(tenantID: "alpha", .id(contact.id))?.labels == ["vip"])
            #expect(try await agent.post("/console/contacts/\(contact.id)/labels", [("csrf", csrf), ("remove", "vip")]).status == .seeOther)
            #expect(try host.services.contacts.find(tenantID: "alpha", .id(contact.id))?.labels == [])

            let viewer = ConsoleBrowser(client, domain: "alpha.localhost")
            _ = try await viewer.signIn("viewer@alpha.test", "correct horse battery")
            let readOnly = try await viewer.get("/console/contacts/\(contact.id)")
            #expect(readOnly.status == .ok && !readOnly.html.contains("Save attributes"))
            let viewerCSRF = try #require(readOnly.hidden("csrf"))
            #expect(try await viewer.post("/console/contacts/\(contact.id)", [("csrf", viewerCSRF), ("attr.lessons", "9")]).status == .forbidden)
        }
    }
}

@Suite("Console internal notes")
struct ConsoleNoteTests {
    @Test("an agent's internal note shows in the thread, is never sent and needs the CSRF token")
    func internalNote() async throws {
        let host = try TestEnvironment.host(manifests: ["a": manifest(slug: "alpha", domain: "alpha.localhost", channels: "  sandbox: {}\n")])
        _ = try host.services.credentials.createUser(tenantID: "alpha", email: "agent@alpha.test", name: "Agent", role: "agent", password: "correct horse battery", actor: "test")
        let tenant = try #require(host.registry.tenant(slug: "alpha"))
        _ = try InboundProcessor(services: host.services).ingest(
            InboundMessage(channel: "sandbox", providerMessageID: "n-1", phone: "+31612340001", name: "Piet", text: "Mijn laadpaal doet het niet"), tenant: tenant)
        let conversationID = try #require(try host.services.conversations.list(tenantID: "alpha", filter: [:], page: PageRequest()).data.first?.id)
        try await host.buildApplication().test(.router) { client in
            let agent = ConsoleBrowser(client, domain: "alpha.localhost")
            _ = try await agent.signIn("agent@alpha.test", "correct horse battery")
            let thread = try await agent.get("/console/conversations/\(conversationID)")
            let csrf = try #require(thread.hidden("csrf"))
            #expect(try await agent.post("/console/conversations/\(conversationID)/note", [("text", "Bel Piet morgen terug")]).status == .forbidden)
            #expect(try await agent.post("/console/conversations/\(conversationID)/note", [("text", "Bel Piet morgen terug"), ("csrf", csrf)]).status == .seeOther)
            let after = try await agent.get("/console/conversations/\(conversationID)?fragment=messages")
            #expect(after.html.contains("message internal\">Bel Piet morgen terug"))
            let messages = try host.services.conversations.messages(tenantID: "alpha", conversationID: conversationID, page: PageRequest()).data
            #expect(messages.contains { $0.direction == "internal" && $0.status == "note" && $0.content == "Bel Piet morgen terug" })
            #expect(try host.services.jobs.list(tenantID: "alpha", pluginID: nil, status: nil, kind: "message.deliver").isEmpty, "a note is never sent")
        }
    }
}
