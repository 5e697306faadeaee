import Foundation
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// Seed 002 §7: the bot's reply delay (30 s to 5 min) and its reply hours (07:00–23:00), through signed WhatsApp webhooks.
@Suite("LeadQualifier: reply delay and reply hours", .serialized)
struct LeadQualifierReplyTimingTests {
    @Test("a reply waits reply_delay_seconds: a minute after the lead's answer nothing went, after two minutes it did")
    func replyDelay() async throws {
        // The welcome goes at once here: the test clock never runs backwards, so it must not pass the reply's time.
        try await LeadQualifierHarness.run(config: "      reply_delay_seconds: 120\n      welcome_delay_minutes: 0") { lq, client in
            _ = try await lq.optIn(client)
            await lq.settle(advancing: .seconds(5))
            #expect(lq.whatsAppSends == ["template:lead_welcome_v1"])
            let before = Clock.nowMillis()
            try await lq.inbound(client, "ja", settling: .seconds(60))
            let after = Clock.nowMillis()
            #expect(lq.whatsAppSends == ["template:lead_welcome_v1"], "the question waits")
            let reply = try #require(try lq.deliveries(status: "pending").first)
            #expect(reply.runAt >= before + 120_000 && reply.runAt <= after + 120_000)
            await lq.settle(advancing: .seconds(121))
            #expect(lq.whatsAppSends.last?.contains("Schaltest du aktuell Ads?") == true)
        }
    }

    @Test("a reply that would go out outside reply_hours waits for the next opening, and the follow-up clock with it")
    func replyHours() async throws {
        let hour = try #require(LeadQualifierHarness.berlin(Clock.nowMillis() + 60_000).hour)
        let from = hour + 2 <= 22 ? hour + 2 : 3
        try await LeadQualifierHarness.run(replyHours: String(format: "%02d:00-%02d:00", from, from + 1)) { lq, client in
            _ = try await lq.optIn(client)
            await lq.settle(advancing: .seconds(6 * 60))
            try await lq.inbound(client, "ja")
            #expect(lq.whatsAppSends == ["template:lead_welcome_v1"], "outside the reply hours the question waits")
            let reply = try #require(try lq.deliveries(status: "pending").first)
            let local = LeadQualifierHarness.berlin(reply.runAt)
            #expect(local.hour == from && local.minute == 0)
            #expect(reply.runAt > Clock.nowMillis() && reply.runAt < Clock.nowMillis() + 86_400_000)
            let nudge = try #require(try lq.jobs(status: "pending").first { $0.uniqueKey?.contains("nudge_30m") == true })
            #expect(nudge.runAt == reply.runAt + 30 * 60_000, "the nudge counts from when the question reaches the lead")

            await lq.settle(advancing: .milliseconds(reply.runAt - Clock.nowMillis() + 1000))
            #expect(lq.whatsAppSends.last?.contains("Schaltest du aktuell Ads?") == true)
        }
    }

    @Test("reply_delay_seconds outside 30 to 300, or a reply_hours that is no range, refuses the tenant with a 422 naming the setting")
    func outOfRange() async throws {
        try await FakeProvider.run(routes: { _ in }) { server in
            let host = try TestEnvironment.host(manifests: [:])
            try await host.buildApplication().test(.router) { client in
                let admin = APIClient(client: client, host: "localhost", token: "test-admin-token")
                let refused = [
                    (LeadQualifierHarness.manifest(server: server, config: "      reply_delay_seconds: 10"), "config.reply_delay_seconds must be 30 to 300"),
                    (LeadQualifierHarness.manifest(server: server, config: "      reply_delay_seconds: 301"), "config.reply_delay_seconds must be 30 to 300"),
                    (LeadQualifierHarness.manifest(server: server, config: "      reply_delay_seconds: soon"), "config.reply_delay_seconds must be 30 to 300"),
                    (LeadQualifierHarness.manifest(server: server, replyHours: "23:00-07:00"), "config.reply_hours must be a range like 07:00-23:00"),
                    (LeadQualifierHarness.manifest(server: server, replyHours: "07:00-25:00"), "config.reply_hours must be a range like 07:00-23:00"),
                ]
                for (yaml, message) in refused {
                    let reply = try await admin.post("/admin/v1/tenants", ["manifest": .string(yaml)])
                    #expect(reply.status == .unprocessableContent)
                    #expect(reply.headers[.contentType] == "application/problem+json")
                    #expect(reply.json["detail"]?.stringValue?.contains(message) == true, "\(reply.text)")
                }
                #expect(try await admin.get("/admin/v1/tenants").json["tenants"]?.arrayValue?.isEmpty == true, "nothing was stored")
                let edge = LeadQualifierHarness.manifest(server: server, config: "      reply_delay_seconds: 300")
                #expect(try await admin.post("/admin/v1/tenants", ["manifest": .string(edge)]).status == .created)
            }
        }
    }
}
