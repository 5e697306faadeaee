import Foundation
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("MrDJCRM: the seed 003 automation chain, SLAs and RBAC")
struct MrDJFlowTests {
    @Test("web form → lead → brochure mail → qualification → quote PDF → accept → Mollie → paid → project → ICS mail")
    func endToEnd() async throws {
        try await MrDJHarness.run { harness in
            try await harness.host.buildApplication().test(.router) { client in
                let sales = try harness.api(client)
                let form = "name=Sanne+de+Vries&email=sanne%40example.com&phone=%2B31612345678&pipeline=Bruiloften&event_date=2026-06-20&venue=Kasteel+Woerden"
                #expect(try await harness.form(client, form, secret: "wrong").status == .unauthorized)
                let intake = try await harness.form(client, form)
                #expect(intake.status == .created)
                let leadID = try #require(intake.json["lead_id"]?.stringValue)
                let again = try await harness.form(client, #"{"name":"Sanne","email":"SANNE@example.com","phone":"+31612345678"}"#, contentType: "application/json")
                #expect(again.status == .ok && again.json["lead_id"]?.stringValue == leadID, "deduplicated by email and phone")
                await harness.settle()

                let brochure = try #require(harness.smtp.messages.first.map { ReceivedMail($0.data) })
                #expect(brochure.files.map(\.filename) == ["brochure.pdf"])
                #expect(brochure.files.first?.data.starts(with: Array("%PDF".utf8)) == true)
                #expect(harness.server.requests.filter { $0.path == "/teams" }.count == 1)
                #expect(try harness.tasks(assignee: "Bart").contains { $0.title.contains("Sanne de Vries") })

                #expect(try await sales.patch("/api/crm/leads/\(leadID)", ["status": "qualified"]).json["status"] == "qualified")
                let deal = try await sales.post("/api/crm/leads/\(leadID)/convert", [:])
                #expect(deal.status == .created && deal.json["stage"] == "Nieuwe Lead" && deal.json["pipeline"] == "Bruiloften")
                let dealID = try #require(deal.json["id"]?.stringValue)
                #expect(try await sales.post("/api/crm/deals/\(dealID)/stage", ["stage": "Project Gereed"]).status == .unprocessableContent)
                #expect(try await sales.post("/api/crm/deals/\(dealID)/stage", ["stage": "Kwalificatie"]).json["stage"] == "Kwalificatie")

                let quote = try await sales.post("/api/crm/quotes", ["deal_id": .string(dealID), "package": "Gold"])
                #expect(quote.status == .created)
                let quoteID = try #require(quote.json["id"]?.stringValue)
                #expect(quote.json["total_cents"]?.doubleValue == 108_295)
                let (contentType, pdf) = try await harness.download(client, "/api/crm/quotes/\(quoteID).pdf", token: try #require(sales.token))
                #expect(contentType == "application/pdf")
                let text = try Self.pdfText(pdf)
                #expect(text.contains("Gold") && text.contains("1.082,95"), "pdftotext: \(text)")
                #expect(try await sales.get("/api/crm/deals/\(dealID)").json["stage"] == "Offerte")
                await harness.settle()
                let quoteMail = try #require(harness.smtp.messages.last.map { ReceivedMail($0.data) })
                #expect(quoteMail.files.map(\.filename) == ["\(quoteID).pdf"])

                let accepted = try await sales.post("/api/crm/quotes/\(quoteID)/accept", [:])
                #expect(accepted.json["payment_id"] == "tr_test1")
                let create = try #require(harness.server.requests.first { $0.path == "/v2/payments" && $0.method == "POST" })
                let payment = try JSON.parse(bytes: create.body)
                #expect(payment["amount"]?["value"] == "250.00" && payment["amount"]?["currency"] == "EUR")
                #expect(payment["webhookUrl"] == "https://mr-dj.rentguy.nl/hooks/mrdj/mollie")
                #expect(payment["metadata"]?["deal_id"]?.stringValue == dealID)
                #expect(create.headers.first { $0.key.lowercased() == "authorization" }?.value == "Bearer \(MrDJHarness.mollieKey)")
                #expect(try await sales.get("/api/crm/deals/\(dealID)").json["stage"] == "Aanbetaling")

                harness.paymentStatus.value = "paid"
                for _ in 0..<2 {
                    #expect(try await harness.raw(client, "/hooks/mrdj/mollie", "id=tr_test1", headers: [.contentType: "application/x-www-form-urlencoded"]).status == .ok)
                }
                let projects = try await sales.get("/api/crm/projects")
                #expect(projects.json["data"]?.arrayValue?.count == 1, "idempotent: one project")
                let project = try #require(projects.json["data"]?.arrayValue?.first)
                #expect(project["date"] == "2026-06-20" && project["venue"] == "Kasteel Woerden" && project["package"] == "Gold" && project["crew"] == 2)
                #expect(try await sales.get("/api/crm/deals/\(dealID)").json["stage"] == "Project Gereed")
                await harness.settle()

                let invite = try #require(harness.smtp.messages.last.map { ReceivedMail($0.data) })
                let ics = try #require(invite.files.first { $0.contentType.hasPrefix("text/calendar") })
                try Self.checkICS(String(decoding: ics.data, as: UTF8.self))
                #expect(harness.smtp.messages.count == 3)

                let analytics = try await sales.get("/api/crm/analytics").json
                #expect(analytics["conversion"]?["Bruiloften"]?["projects"] == 1)
                #expect(analytics["revenue_cents"]?["Bruiloften"]?.objectValue?.values.first == 108_295)
                #expect(analytics["deals_per_stage"]?["Project Gereed"] == 1)
                #expect(analytics["lead_response_minutes"]?["count"] == 1)
            }
        }
    }

    @Test("SLA jobs fire on business time: an unanswered lead and a quote with no reply give Bart tasks and raise the priority")
    func slaBreaches() async throws {
        try await MrDJHarness.run { harness in
            try await harness.host.buildApplication().test(.router) { client in
                let sales = try harness.api(client)
                let silent = try await sales.post("/api/crm/leads", ["name": "Stil", "email": "stil@example.com"])
                let answered = try await sales.post("/api/crm/leads", ["name": "Beantwoord", "email": "ok@example.com"])
                let answeredID = try #require(answered.json["id"]?.stringValue)
                #expect(try await sales.post("/api/crm/activities", ["kind": "call", "subject": "Gebeld", "lead_id": .string(answeredID), "body": "@Jeroen plan de demo"]).status == .created)
                #expect(try harness.tasks(assignee: "Jeroen").count == 1, "a mention creates a task")

                let jobs = try harness.host.services.jobs.list(tenantID: "mrdj", pluginID: "mrdj-crm", status: "pending", kind: "sla.first_response")
                #expect(jobs.count == 2)
                let due = try #require(jobs.first?.runAt)
                let created = try #require(silent.json["created_at"]?.doubleValue)
                #expect(Double(due) - created >= 2 * 3600 * 1000, "two business hours or more")
                await harness.settle(ahead: .seconds(4 * 24 * 3600))

                #expect(try await sales.get("/api/crm/leads/\(silent.json["id"]!.stringValue!)").json["priority"] == "high")
                #expect(try await sales.get("/api/crm/leads/\(answeredID)").json["priority"] == "normal")
                let breaches = try await sales.get("/api/crm/sla/breaches")
                #expect(breaches.json["data"]?.arrayValue?.map { $0["rule"] } == ["first_response"])
                #expect(try harness.tasks(assignee: "Bart").contains { $0.title.hasPrefix("SLA verlopen") && $0.priority == "high" })
            }
        }
    }

    @Test("RBAC: sales writes, marketing and viewer read, operations reads projects, the website form and Mollie hooks are public")
    func roles() async throws {
        try await MrDJHarness.run { harness in
            try await harness.host.buildApplication().test(.router) { client in
                let lead: JSON = ["name": "Rol", "email": "rol@example.com"]
                #expect(try await harness.api(client, role: "sales").post("/api/crm/leads", lead).status == .created)
                for role in ["marketing", "viewer", "operations"] {
                    let api = try harness.api(client, role: role)
                    #expect(try await api.get("/api/crm/leads").status == .ok, "\(role) reads")
                    #expect(try await api.post("/api/crm/leads", lead).status == .forbidden, "\(role) does not write")
                }
                #expect(try await harness.api(client, role: "operations").get("/api/crm/projects").status == .ok)
                #expect(try await harness.api(client, role: "marketing").get("/api/crm/projects").status == .forbidden)
                var anonymous = try harness.api(client)
                anonymous.token = nil
                #expect(try await anonymous.get("/api/crm/leads").status == .unauthorized)
                #expect(try await harness.raw(client, "/hooks/mrdj/mollie", "id=tr_unknown").status == .ok)

                let paths = try await anonymous.get("/api/v1/openapi.json").json["paths"]
                #expect(paths?["/api/crm/leads"]?["post"]?["x-permission"] == "crm:write")
                #expect(paths?["/api/crm/projects"]?["get"]?["x-permission"] == "projects:read")
                #expect(paths?["/api/crm/import"]?["post"]?["x-cli"] == "switchboard crm import")
                for path in ["/api/crm/leads/{id}/convert", "/api/crm/deals/{id}/stage", "/api/crm/activities", "/api/crm/quotes/{id}/accept", "/api/crm/analytics", "/quotes/accept"] {
                    #expect(paths?[path] != nil, "\(path) is in the OpenAPI document")
                }
            }
        }
    }

    /// The text `pdftotext` reads from a PDF.
    static func pdfText(_ pdf: [UInt8]) throws -> String {
        let file = try TestEnvironment.temporaryDirectory().appendingPathComponent("quote.pdf")
        try Data(pdf).write(to: file)
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["pdftotext", file.path, "-"]
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self)
    }

    /// A strict-enough RFC 5545 parse: CRLF lines of at most 75 octets, unfolded; balanced BEGIN/END; the invite's fields.
    static func checkICS(_ ics: String) throws {
        #expect(ics.hasSuffix("\r\n"))
        let physical = ics.components(separatedBy: "\r\n").dropLast()
        #expect(physical.allSatisfy { $0.utf8.count <= 75 && !$0.contains("\n") })
        var lines: [String] = []
        for line in physical {
            if line.hasPrefix(" "), !lines.isEmpty { lines[lines.count - 1] += line.dropFirst() } else { lines.append(line) }
        }
        var stack: [String] = []
        for line in lines {
            if line.hasPrefix("BEGIN:") { stack.append(String(line.dropFirst(6))) }
            if line.hasPrefix("END:") { #expect(stack.popLast() == String(line.dropFirst(4))) }
        }
        #expect(stack.isEmpty)
        #expect(lines.contains("METHOD:REQUEST"))
        for name in ["UID:", "DTSTAMP:", "DTSTART;TZID=", "DTEND;TZID="] { #expect(lines.contains { $0.hasPrefix(name) }, "\(name)") }
        #expect(lines.contains { $0.hasPrefix("ATTENDEE") && $0.contains("sanne@example.com") })
    }
}
