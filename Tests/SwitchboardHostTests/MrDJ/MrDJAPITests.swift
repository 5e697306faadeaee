import Foundation
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("MrDJCRM: lists, stage audit, quote SLAs and failed deposits")
struct MrDJAPITests {
    @Test("lists filter on fields and page with a cursor; a stage move is audited with who, from and to")
    func listsAndAudit() async throws {
        try await MrDJHarness.run { harness in
            try await harness.host.buildApplication().test(.router) { client in
                let sales = try harness.api(client)
                for index in 1...5 {
                    let pipeline = index % 2 == 0 ? "Zakelijk" : "Bruiloften"
                    #expect(try await sales.post("/api/crm/leads", ["email": .string("l\(index)@example.com"), "pipeline": .string(pipeline)]).status == .created)
                }
                #expect(try await sales.post("/api/crm/leads", ["email": "x@example.com", "pipeline": "Onbekend"]).status == .unprocessableContent)
                let first = try await sales.get("/api/crm/leads?limit=2")
                #expect(first.json["data"]?.arrayValue?.count == 2)
                let cursor = try #require(first.json["next_cursor"]?.stringValue)
                let second = try await sales.get("/api/crm/leads?limit=2&cursor=\(cursor)")
                #expect(second.json["data"]?.arrayValue?.first?["id"] == "lead-000003")
                #expect(try await sales.get("/api/crm/leads?pipeline=Zakelijk").json["data"]?.arrayValue?.count == 2)

                let deal = try await sales.post("/api/crm/leads/lead-000002/convert", [:])
                let dealID = try #require(deal.json["id"]?.stringValue)
                #expect(try await sales.post("/api/crm/deals/\(dealID)/stage", ["stage": "Kwalificatie"]).status == .ok)
                #expect(try await sales.post("/api/crm/deals/\(dealID)/stage", ["stage": "lost"]).json["stage"] == "lost")
                #expect(try await sales.post("/api/crm/deals/\(dealID)/stage", ["stage": "Offerte"]).status == .unprocessableContent, "a closed deal stays closed")
                let audit = try harness.host.services.audit.entries(tenantID: "mrdj", action: "crm.deal_stage_changed")
                #expect(audit.count == 2)
                #expect(audit.contains { $0.details["from"] == "Kwalificatie" && $0.details["to"] == "lost" && $0.details["by"]?.stringValue?.hasPrefix("test-") == true })
            }
        }
    }

    @Test("a quote with no reply breaches its SLAs on business time; an expired deposit gives sales a task, once")
    func quoteSLAAndFailedDeposit() async throws {
        try await MrDJHarness.run { harness in
            try await harness.host.buildApplication().test(.router) { client in
                let sales = try harness.api(client)
                let lead = try await sales.post("/api/crm/leads", ["name": "Kees", "email": "kees@example.com", "event_date": "2026-09-12"])
                let deal = try await sales.post("/api/crm/leads/\(lead.json["id"]!.stringValue!)/convert", ["package": "Gold"])
                let dealID = try #require(deal.json["id"]?.stringValue)
                #expect(try await sales.post("/api/crm/quotes", ["deal_id": .string(dealID)]).status == .unprocessableContent, "quotes come after qualification")
                #expect(try await sales.post("/api/crm/deals/\(dealID)/stage", ["stage": "Kwalificatie"]).status == .ok)
                let quote = try await sales.post("/api/crm/quotes", ["deal_id": .string(dealID)])
                #expect(quote.status == .created)
                let jobs = try harness.host.services.jobs.list(tenantID: "mrdj", pluginID: "mrdj-crm", status: "pending", kind: "sla.quote_follow_up")
                let reaction = try harness.host.services.jobs.list(tenantID: "mrdj", pluginID: "mrdj-crm", status: "pending", kind: "sla.quote_reaction")
                let followUp = try #require(jobs.first?.runAt), react = try #require(reaction.first?.runAt)
                #expect(followUp - react >= 24 * 3600 * 1000, "three business days come after 24 business hours")
                let other = try await sales.post("/api/crm/deals", ["contact_id": deal.json["contact_id"]!, "title": "Beantwoord", "package": "Gold"])
                let otherID = try #require(other.json["id"]?.stringValue)
                #expect(try await sales.post("/api/crm/deals/\(otherID)/stage", ["stage": "Kwalificatie"]).status == .ok)
                let answered = try await sales.post("/api/crm/quotes", ["deal_id": .string(otherID)])
                #expect(try await sales.post("/api/crm/activities", ["kind": "call", "subject": "Offerte besproken", "deal_id": .string(otherID)]).status == .created)
                await harness.settle(ahead: .seconds(14 * 24 * 3600))
                let breached = try await sales.get("/api/crm/sla/breaches").json["data"]?.arrayValue ?? []
                let rules = breached.compactMap { $0["rule"]?.stringValue }
                #expect(Set(rules).isSuperset(of: ["quote_reaction", "quote_follow_up"]))
                #expect(!breached.contains { $0["subject"] == answered.json["id"] }, "a logged call is a reaction")
                #expect(try await sales.get("/api/crm/deals/\(dealID)").json["priority"] == "high")
                #expect(try harness.tasks(assignee: "Bart").contains { $0.title.contains("opvolgen") })

                let quoteID = try #require(quote.json["id"]?.stringValue)
                #expect(try await sales.post("/api/crm/quotes/\(quoteID)/accept", [:]).status == .ok)
                harness.paymentStatus.value = "expired"
                for _ in 0..<2 { _ = try await harness.raw(client, "/hooks/mrdj/mollie", "id=tr_test1") }
                #expect(try harness.tasks(assignee: "Bart").filter { $0.title.hasPrefix("Aanbetaling expired") }.count == 1)
                #expect(try await sales.get("/api/crm/projects").json["data"]?.arrayValue?.isEmpty == true)
            }
        }
    }

    @Test("a CSV import (BOM, semicolons, quoted fields, Windows-1252) reports every bad row and imports the good ones; dry-run writes nothing; a re-import is deduplicated")
    func csvImport() async throws {
        try await MrDJHarness.run { harness in
            try await harness.host.buildApplication().test(.router) { client in
                let sales = try harness.api(client)
                let csv = "Naam;E-mail;Telefoon;Pijplijn;Datum;Opmerking\r\n"
                    + "Jan Jansen;jan@example.com;06 12345678;Bruiloften;2026-05-01;\"Feest; \"\"groot\"\"\nmet twee regels\"\r\n"
                    + "Zonder Contact;;;Zakelijk;;\r\n"
                    + "Fout Adres;geen-mail;;Onbekend;1 mei;\r\n"
                    + "Jos\u{E9} Caf\u{E9};jose@example.com;;Zakelijk;;\r\n"
                var bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(csv.utf8)
                let dry = try await sales.send(.post, "/api/crm/import?dry_run=true", raw: ByteBuffer(bytes: bytes))
                #expect(dry.json["dry_run"] == true && dry.json["imported"] == 2 && dry.json["rows"] == 4)
                #expect(try await sales.get("/api/crm/leads").json["data"]?.arrayValue?.isEmpty == true)

                let run = try await sales.send(.post, "/api/crm/import", raw: ByteBuffer(bytes: bytes))
                #expect(run.json["imported"] == 2)
                let errors = run.json["errors"]?.arrayValue ?? []
                #expect(errors.map { "\(Int($0["line"]!.doubleValue!)):\($0["field"]!.stringValue!)" } == ["4:email", "5:email", "5:pipeline", "5:event_date"])
                let leads = try await sales.get("/api/crm/leads").json["data"]?.arrayValue ?? []
                let jan = try #require(leads.first { $0["email"] == "jan@example.com" })
                #expect(jan["phone"] == "+31612345678" && jan["message"] == "Feest; \"groot\"\nmet twee regels")
                #expect(try harness.host.services.jobs.list(tenantID: "mrdj", pluginID: "mrdj-crm", status: "pending", kind: "sla.first_response").isEmpty)

                let again = try await sales.send(.post, "/api/crm/import", raw: ByteBuffer(bytes: bytes))
                #expect(again.json["imported"] == 0 && again.json["duplicates"] == 2)

                bytes = Array("email,name\nlatin@example.com,Ren".utf8) + [0xE9] + Array("e\n".utf8)
                #expect(try await sales.send(.post, "/api/crm/import", raw: ByteBuffer(bytes: bytes)).json["imported"] == 1)
                let latin = try await sales.get("/api/crm/leads?email=latin%40example.com")
                #expect(latin.json["data"]?.arrayValue?.first?["name"] == "Ren\u{E9}e", "Windows-1252 is read as such")
            }
        }
    }
}
