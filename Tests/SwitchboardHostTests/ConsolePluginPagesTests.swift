import Foundation
import HTTPTypes
import HummingbirdTesting
import HummingbirdWSClient
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("Console pages contributed by plugins, and the console's live stream")
struct ConsolePluginPagesTests {
    static func mrdjHost() throws -> SwitchboardHost {
        let host = try TestEnvironment.host(manifests: [
            "mrdj": try String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("tenants/mrdj.yaml"), encoding: .utf8),
        ])
        for (email, role) in [("bart@mr-dj.nl", "sales"), ("view@mr-dj.nl", "viewer")] {
            _ = try host.services.credentials.createUser(tenantID: "mrdj", email: email, name: email, role: role, password: "correct horse battery", actor: "test")
        }
        return host
    }

    @Test("the CRM board lists deals per stage with totals; a move needs the session's CSRF token, is checked against the pipeline and audited")
    func boardMove() async throws {
        let host = try Self.mrdjHost()
        try await host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "mrdj.localhost", token: try host.token("mrdj", role: "sales"))
            let contact = try await api.post("/api/v1/contacts", ["name": "Anna Jansen", "phone": "+31612340000"]).json
            let deal = try await api.post("/api/crm/deals", [
                "contact_id": contact["id"] ?? .null, "title": "Bruiloft Anna & Tom", "pipeline": "Bruiloften", "package": "Gold",
            ]).json
            let dealID = try #require(deal["id"]?.stringValue)

            let anonymous = ConsoleBrowser(client, domain: "mrdj.localhost")
            #expect(try await anonymous.get("/console/app/crm/board").headers[.location] == "/console/login", "no session: to the sign-in page")

            let sales = ConsoleBrowser(client, domain: "mrdj.localhost")
            #expect(try await sales.signIn("bart@mr-dj.nl", "correct horse battery").status == .seeOther)
            let inbox = try await sales.get("/console")
            #expect(inbox.html.contains("href=\"/console/app/crm/board\">Pipeline</a>"), "the plugin's page is in the navigation")
            let board = try await sales.get("/console/app/crm/board?pipeline=Bruiloften")
            #expect(board.status == .ok && board.html.contains("Mr. DJ") && board.html.contains("Bruiloft Anna &amp; Tom"))
            #expect(board.html.contains("data-drop-value=\"Kwalificatie\""))
            let csrf = try #require(board.hidden("csrf"))

            #expect(try await sales.post("/console/app/crm/board/move", [("moved", dealID), ("target", "Kwalificatie")]).status == .forbidden, "no CSRF token")
            let refused = try await sales.post("/console/app/crm/board/move", [("moved", dealID), ("target", "Project Gereed"), ("pipeline", "Bruiloften"), ("csrf", csrf)])
            #expect(refused.status == .seeOther && refused.headers[.location]?.contains("error=") == true, "a jump of three stages is refused")
            let moved = try await sales.post("/console/app/crm/board/move", [("moved", dealID), ("target", "Kwalificatie"), ("pipeline", "Bruiloften"), ("csrf", csrf)])
            #expect(moved.status == .seeOther && moved.headers[.location] == "/console/app/crm/board?pipeline=Bruiloften")
            #expect(try await api.get("/api/crm/deals/\(dealID)").json["stage"] == "Kwalificatie")
            let audit = try host.services.audit.entries(tenantID: "mrdj", action: "crm.deal_stage_changed")
            #expect(audit.contains { $0.subject == dealID && $0.details["by"]?.stringValue == "bart@mr-dj.nl" })

            let viewer = ConsoleBrowser(client, domain: "mrdj.localhost")
            _ = try await viewer.signIn("view@mr-dj.nl", "correct horse battery")
            let readOnly = try await viewer.get("/console/app/crm/board?pipeline=Bruiloften")
            #expect(readOnly.status == .ok && !readOnly.html.contains("draggable") && !readOnly.html.contains("board/move"), "a viewer sees no move controls")
            let viewerCSRF = try #require(readOnly.hidden("csrf"))
            #expect(try await viewer.post("/console/app/crm/board/move", [("moved", dealID), ("target", "Offerte"), ("csrf", viewerCSRF)]).status == .forbidden)

            let dashboard = try await sales.get("/console/app/crm/analytics")
            #expect(dashboard.status == .ok && dashboard.html.contains("<svg") && dashboard.html.contains("Deals per stage"))
            let dealPage = try await sales.get("/console/app/crm/deals/\(dealID)")
            #expect(dealPage.html.contains("Bruiloften → Kwalificatie") || dealPage.html.contains("→ Kwalificatie"))
        }
    }

    @Test("the console stream needs this tenant's session cookie and a same-origin page")
    func consoleStream() async throws {
        // The WebSocket client sends the Host of its URL, so this tenant is served at plain `localhost`.
        let host = try TestEnvironment.host(manifests: ["a": manifest(slug: "alpha", domain: "localhost")])
        _ = try host.services.credentials.createUser(tenantID: "alpha", email: "agent@alpha.test", name: "Agent", role: "agent", password: "correct horse battery", actor: "test")
        try await host.buildApplication().test(.live) { client in
            let port = try #require(client.port)
            let browser = ConsoleBrowser(client, domain: "localhost")
            _ = try await browser.signIn("agent@alpha.test", "correct horse battery")
            let session = try #require(browser.cookies["sb_session"])
            func connect(cookie: String?, origin: String?) async -> [String] {
                var headers: HTTPFields = [:]
                if let cookie { headers[.cookie] = "sb_session=\(cookie)" }
                if let origin { headers[.origin] = origin }
                let received = EventStreamTests.Received()
                let events = host.services.events
                let attempt = Task {
                    try await WebSocketClient.connect(
                        url: "ws://localhost:\(port)/console/stream", configuration: .init(additionalHeaders: headers), logger: TestEnvironment.logger
                    ) { inbound, _, _ in
                        received.append("open")
                        // The server subscribes just after the upgrade: publish until the first event comes through.
                        let publisher = Task {
                            for _ in 0..<50 {
                                events.live.publish(TenantEvent(tenantID: "alpha", type: "message.received", data: ["n": 1], source: nil))
                                try await Task.sleep(for: .milliseconds(50))
                            }
                        }
                        defer { publisher.cancel() }
                        for try await message in inbound.messages(maxSize: 1 << 16) {
                            if case .text(let text) = message { received.append(text) }
                            return
                        }
                    }
                }
                let deadline = Task { try await Task.sleep(for: .seconds(5)); attempt.cancel() }
                _ = try? await attempt.value
                deadline.cancel()
                return received.all
            }
            let live = await connect(cookie: session, origin: "http://localhost:\(port)")
            #expect(live.first == "open" && live.dropFirst().first?.contains("message.received") == true)
            #expect(await connect(cookie: session, origin: "http://evil.example").isEmpty, "another site's page cannot use the cookie")
            #expect(await connect(cookie: "forged", origin: "http://localhost:\(port)").isEmpty)
            #expect(await connect(cookie: nil, origin: "http://localhost:\(port)").isEmpty)
        }
    }
}

@Suite("Plugin dashboards in the console")
struct PluginDashboardTests {
    @Test("TutorBot: the daily label snapshot job stores the counts once a day, and the dashboard draws them with today's")
    func tutorBotDashboard() async throws {
        let host = try AutomationTests.tutorbot()
        _ = try host.services.credentials.createUser(tenantID: "tutorbot", email: "tutor@tutorbot.test", name: "Tutor", role: "admin", password: "correct horse battery", actor: "test")
        let contact = try host.services.contacts.create(tenantID: "tutorbot", name: "Sanne", phone: "+31611112222", email: nil)
        _ = try host.services.contacts.update(tenantID: "tutorbot", id: contact.id, addLabels: ["new_client"])
        let snapshots = try host.services.jobs.list(tenantID: "tutorbot", pluginID: "tutorbot", status: "pending", kind: "analytics.label_snapshot")
        #expect(snapshots.count == 1, "the instance schedules today's snapshot once")
        let scheduler = SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "test")
        #expect(await scheduler.runDue(limit: 10) >= 1)
        let next = try host.services.jobs.list(tenantID: "tutorbot", pluginID: "tutorbot", status: "pending", kind: "analytics.label_snapshot")
        #expect(next.count == 1 && next[0].runAt > Clock.nowMillis(), "and the snapshot schedules tomorrow's")
        let tenant = try #require(host.registry.tenant(slug: "tutorbot"))
        _ = try host.registry.reload(tenant, pluginID: "tutorbot", actor: "test")
        let afterRestart = try host.services.jobs.list(tenantID: "tutorbot", pluginID: "tutorbot", status: "pending", kind: "analytics.label_snapshot")
        #expect(afterRestart.map(\.id) == next.map(\.id), "a restarted instance keeps today's counts and schedules nothing new")
        try await host.buildApplication().test(.router) { client in
            let browser = ConsoleBrowser(client, domain: "tutorbot.localhost")
            _ = try await browser.signIn("tutor@tutorbot.test", "correct horse battery")
            let page = try await browser.get("/console/app/tutorbot/dashboard")
            #expect(page.status == .ok && page.html.contains("TutorBot Bijles") && page.html.contains("Bot analytics"))
            #expect(page.html.contains("<desc>new_client: 1"), "the line chart carries the stored count")
        }
    }

    @Test("LeadQualifier: the KPI dashboard shows the funnel and the rates from the stored leads")
    func leadQualifierDashboard() async throws {
        try await LeadQualifierHarness.run { lq, client in
            _ = try await lq.optIn(client)
            _ = try lq.host.services.credentials.createUser(tenantID: "lq", email: "team@lq.test", name: "Team", role: "marketing", password: "correct horse battery", actor: "test")
            let browser = ConsoleBrowser(client, domain: "lq.localhost")
            _ = try await browser.signIn("team@lq.test", "correct horse battery")
            let page = try await browser.get("/console/app/leadqualifier/dashboard?days=30")
            #expect(page.status == .ok && page.html.contains("href=\"/console/app/leadqualifier/dashboard\" aria-current=\"page\">KPIs</a>"))
            #expect(page.html.contains("<desc>Opt-ins: 1;"), "one opt-in in the funnel")
        }
    }
}
