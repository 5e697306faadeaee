import Foundation
import HTTPTypes
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("MrDJCRM: the customer's accept link, the logo in the quote PDF, the RentGuy push and the after-care jobs")
struct MrDJAfterCareTests {
    /// `yyyy-MM-dd`, `days` from now in Amsterdam.
    static func date(inDays days: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Amsterdam")!
        let parts = calendar.dateComponents([.year, .month, .day], from: Date().addingTimeInterval(Double(days) * 86_400))
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    /// When the plugin plans an event of `date` (`yyyy-MM-dd`) to start: 19:00 in Amsterdam, in epoch milliseconds.
    static func eventStart(_ date: String) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Amsterdam")!
        let parts = date.split(separator: "-").compactMap { Int($0) }
        let start = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: 19))!
        return Int64(start.timeIntervalSince1970 * 1000)
    }

    @Test("the quote mail's link accepts the quote once, like the API; a forged token is a 403 problem; the PDF carries the logo")
    func acceptLinkAndLogo() async throws {
        try await MrDJHarness.run { harness in
            try await harness.host.buildApplication().test(.router) { client in
                let sales = try harness.api(client)
                let (dealID, quoteID) = try await harness.quotedDeal(sales, date: Self.date(inDays: 30))
                await harness.settle()
                let mail = try #require(harness.smtp.messages.last.map { ReceivedMail($0.data) })
                let link = try #require(mail.text.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("https://mr-dj.rentguy.nl/quotes/accept?token=") })
                let path = String(link.dropFirst("https://mr-dj.rentguy.nl".count))
                #expect(path.contains("token=\(quoteID)."))

                let page = try await harness.get(client, path)
                #expect(page.status == .ok && page.text.contains("<form method=\"post\"") && page.text.contains("1.082,95"), "\(page.text)")
                #expect(harness.server.requests.filter { $0.path == "/v2/payments" }.isEmpty, "opening the link accepts nothing")

                let forged = String(path.dropLast(4)) + "0000"
                let refused = try await harness.raw(client, forged, "")
                #expect(refused.status == .forbidden && refused.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                #expect(try await harness.raw(client, "/quotes/accept?token=\(quoteID)", "").status == .forbidden)
                #expect(try await harness.raw(client, "/quotes/accept", "").status == .forbidden)

                for _ in 0..<2 {
                    let accepted = try await harness.raw(client, path, "")
                    #expect(accepted.status == .seeOther && accepted.headers[.location] == "https://www.mollie.com/checkout/test")
                }
                #expect(harness.server.requests.filter { $0.path == "/v2/payments" && $0.method == "POST" }.count == 1, "accepting twice has one effect")
                #expect(try await sales.get("/api/crm/deals/\(dealID)").json["stage"] == "Aanbetaling")
                let audit = try harness.host.services.audit.entries(tenantID: "mrdj", action: "crm.deal_stage_changed")
                #expect(audit.contains { $0.details["to"] == "Aanbetaling" && $0.details["by"] == "customer" })

                let (_, pdf) = try await harness.download(client, "/api/crm/quotes/\(quoteID).pdf", token: try #require(sales.token))
                let images = try Self.run("pdfimages", "-list", pdf)
                let sizes = images.split(separator: "\n").dropFirst(2).map { $0.split(separator: " ").map(String.init) }.filter { $0.count > 5 }
                #expect(sizes.contains { $0[3] == "240" && $0[4] == "72" && $0[5] == "rgb" }, "pdfimages lists the 240×72 logo: \(images)")
                let text = try MrDJFlowTests.pdfText(pdf)
                #expect(text.contains("Gold") && text.contains("1.082,95"))
            }
        }
    }

    @Test("a paid deposit pushes the project to RentGuy, signed and retried; a changed project is pushed again")
    func rentGuyPush() async throws {
        try await MrDJHarness.run { harness in
            try await harness.host.buildApplication().test(.router) { client in
                let sales = try harness.api(client)
                let (_, quoteID) = try await harness.quotedDeal(sales, date: Self.date(inDays: 30))
                let projectID = try await harness.pay(client, sales, quoteID: quoteID)
                await harness.settle()
                #expect(harness.rentGuyPushes.count == 1, "the first push meets the outage")
                let job = try #require(try harness.host.services.jobs.list(tenantID: "mrdj", pluginID: "mrdj-crm", status: "pending", kind: "rentguy.push").first)
                #expect(job.attempts == 1 && job.lastError?.contains("503") == true)
                await harness.settle(ahead: .seconds(3600))
                let pushes = harness.rentGuyPushes
                #expect(pushes.count == 2)
                let created = try JSON.parse(bytes: try #require(pushes.last).body)
                #expect(created["event"] == "project.created" && created["project"]?["id"]?.stringValue == projectID)
                #expect(created["project"]?["package"] == "Gold" && created["project"]?["crew"] == 2)
                #expect(try harness.host.services.jobs.list(tenantID: "mrdj", pluginID: "mrdj-crm", status: "done", kind: "rentguy.push").count == 1,
                        "the fake RentGuy accepted the signature")

                #expect(try await sales.patch("/api/crm/projects/\(projectID)", ["crew": 3, "venue": "Fort Vechten"]).json["crew"] == 3)
                #expect(try await sales.patch("/api/crm/projects/\(projectID)", ["crew": 0]).status == .unprocessableContent)
                await harness.settle(ahead: .seconds(3600))
                let updated = try JSON.parse(bytes: try #require(harness.rentGuyPushes.last).body)
                #expect(updated["event"] == "project.updated" && updated["project"]?["venue"] == "Fort Vechten")
            }
        }
    }

    @Test("24 h before the event a checklist mail and an SMS; after it an evaluation task, a review mail and Evaluatie; then the upsell task")
    func afterCare() async throws {
        try await MrDJHarness.run { harness in
            try await harness.host.buildApplication().test(.router) { client in
                let sales = try harness.api(client)
                let date = Self.date(inDays: 10)
                let start = Self.eventStart(date), hour: Int64 = 3_600_000, day = 24 * hour
                // The event ends six hours after it starts; the evaluation waits for business hours (a weekend or holidays: days).
                let end = start + 6 * hour
                let (dealID, quoteID) = try await harness.quotedDeal(sales, date: date)
                _ = try await harness.pay(client, sales, quoteID: quoteID)
                await harness.settle(until: start - 2 * day)
                let subjects = { harness.smtp.messages.map { ReceivedMail($0.data).subject } }
                #expect(!subjects().contains { $0.contains("checklist") }, "not yet: two days before")
                #expect(harness.server.requests.filter { $0.path == "/sms" }.isEmpty)

                await harness.settle(until: start - 23 * hour)
                let checklist = try #require(harness.smtp.messages.map { ReceivedMail($0.data) }.first { $0.subject.contains("checklist") })
                #expect(checklist.text.contains("Stroom"))
                let sms = try #require(harness.server.requests.first { $0.path == "/sms" })
                let smsBody = try JSON.parse(bytes: sms.body)
                #expect(smsBody["to"] == "+31612345678" && smsBody["text"]?.stringValue?.contains("morgen is het zover") == true)
                #expect(!subjects().contains { $0.contains("review") })

                await harness.settle(until: end + 5 * day)
                let review = try #require(harness.smtp.messages.map { ReceivedMail($0.data) }.first { $0.subject.contains("review") })
                #expect(review.text.contains("https://example.com/review/mrdj"))
                #expect(try harness.tasks(assignee: "Bart").contains { $0.title.hasPrefix("Evaluatie:") })
                #expect(try await sales.get("/api/crm/deals/\(dealID)").json["stage"] == "Evaluatie")
                #expect(try !harness.tasks(assignee: "Bart").contains { $0.title.hasPrefix("Upsell:") })

                await harness.settle(until: end + 35 * day)
                #expect(try harness.tasks(assignee: "Bart").filter { $0.title.hasPrefix("Upsell:") }.count == 1)
                let blocked = try harness.host.services.audit.entries(tenantID: "mrdj", action: "policy_blocked_send")
                #expect(blocked.isEmpty, "the policy let every after-care message through")
            }
        }
    }

    /// The output of a poppler tool run on a PDF.
    static func run(_ tool: String, _ option: String, _ pdf: [UInt8]) throws -> String {
        let file = try TestEnvironment.temporaryDirectory().appendingPathComponent("quote.pdf")
        try Data(pdf).write(to: file)
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool, option, file.path]
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self)
    }
}

extension MrDJHarness {
    /// A lead with a phone number, converted and qualified, with a Gold quote for an event on `date`: (deal, quote).
    func quotedDeal(_ sales: APIClient, date: String) async throws -> (String, String) {
        let lead = try await sales.post("/api/crm/leads", ["name": "Sanne", "email": "sanne@example.com", "phone": "+31612345678", "event_date": .string(date), "venue": "Kasteel Woerden"])
        let deal = try await sales.post("/api/crm/leads/\(try #require(lead.json["id"]?.stringValue))/convert", ["package": "Gold"])
        let dealID = try #require(deal.json["id"]?.stringValue)
        #expect(try await sales.post("/api/crm/deals/\(dealID)/stage", ["stage": "Kwalificatie"]).status == .ok)
        let quote = try await sales.post("/api/crm/quotes", ["deal_id": .string(dealID)])
        return (dealID, try #require(quote.json["id"]?.stringValue))
    }

    /// Accepts the quote and lets Mollie report it paid: the project's id.
    func pay(_ client: some TestClientProtocol, _ sales: APIClient, quoteID: String) async throws -> String {
        #expect(try await sales.post("/api/crm/quotes/\(quoteID)/accept", [:]).status == .ok)
        paymentStatus.value = "paid"
        #expect(try await raw(client, "/hooks/mrdj/mollie", "id=tr_test1").status == .ok)
        return try #require(try await sales.get("/api/crm/projects").json["data"]?.arrayValue?.first?["id"]?.stringValue)
    }

    var rentGuyPushes: [RecordedRequest] { server.requests.filter { $0.path == "/rentguy" } }

    /// An anonymous GET on the tenant's domain.
    func get(_ client: some TestClientProtocol, _ path: String) async throws -> APIClient.Reply {
        try await client.execute(uri: path, method: .get, headers: [.init("Host")!: "mrdj.localhost"]) { response in
            let text = String(buffer: response.body)
            return APIClient.Reply(status: response.status, headers: response.headers, json: (try? JSON.parse(text)) ?? .null, text: text)
        }
    }
}
