import CPluginABI
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// Every change is an event, recorded with it and delivered to each subscriber through a job of its own: one
/// contact's events in commit order, a failing plugin retried alone, rules once per event. The `recorder` fixture
/// (Tests/Fixtures/plugins/recorder.c) keeps every event it accepts, in the order it handled them.
@Suite("The event pipeline: order per contact, once per subscriber")
struct EventPipelineTests {
    static let phoneNumberID = "1077"
    static let appSecret = "pipeline-app-secret"

    /// A plugins directory with one recorder build per (id, subscriptions JSON), each built -fvisibility=hidden.
    static func plugins(_ recorders: [(id: String, subscriptions: String)]) throws -> String {
        func literal(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        let directory = try TestEnvironment.temporaryDirectory()
        for recorder in recorders {
            let built = try TestEnvironment.compileFixture(
                "recorder", defines: ["PLUGIN_ID=\(literal(recorder.id))", "SUBSCRIPTIONS=\(literal(recorder.subscriptions))"],
                flags: ["-fvisibility=hidden"], library: recorder.id)
            try FileManager.default.copyItem(atPath: built, toPath: directory.appendingPathComponent("lib\(recorder.id).so").path)
        }
        return directory.path
    }

    /// A tenant with the sandbox and WhatsApp (signed with `appSecret`, its Cloud API at `graph`) channels, open at all
    /// hours, running `plugins`.
    static func manifest(_ slug: String, plugins: [String], pluginLines: String = "", extra: String = "", graph: String = "http://127.0.0.1:9") -> String {
        let refs = ChannelTests.secrets(["verify": "v", "secret": appSecret, "token": "t"])
        return """
            slug: \(slug)
            name: Tenant \(slug)
            domains: [\(slug).localhost]
            timezone: Europe/Amsterdam
            channels:
              sandbox: {}
              whatsapp: {phone_number_id: "\(phoneNumberID)", verify_token: \(refs["verify"]!), app_secret: \(refs["secret"]!), access_token: \(refs["token"]!), api_base: "\(graph)/v21.0"}
            messaging:
              allowed_hours: "00:00-24:00"
            plugins:\(plugins.isEmpty ? " []" : "")
            \(plugins.map { "  - id: \($0)\n\(pluginLines)" }.joined(separator: "\n"))
            \(extra)
            """
    }

    /// The events `plugin` accepted, in the order it handled them.
    static func seen(_ host: SwitchboardHost, _ tenant: String, _ plugin: String) throws -> [JSON] {
        try host.services.records.query(
            .init(tenantID: tenant, pluginID: plugin), collection: "seen", .init(prefix: nil, after: nil, limit: 500, where: nil)
        ).records.map(\.value)
    }

    /// The texts of the `message.received` events among `events`.
    static func texts(_ events: [JSON]) -> [String] {
        events.filter { $0["type"] == "message.received" }.compactMap { $0["data"]?["message"]?["content"]?.stringValue }
    }

    /// A signed Cloud API notification carrying `messages` (text, sent at) from `from` in the order listed.
    static func whatsApp(from: String, _ messages: [(id: String, text: String, sentAt: Int64)]) -> String {
        let items = messages.map { #"{"from":"\#(from)","id":"\#($0.id)","timestamp":"\#($0.sentAt / 1000)","type":"text","text":{"body":"\#($0.text)"}}"# }
        return """
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",\
            "metadata":{"display_phone_number":"1","phone_number_id":"\(phoneNumberID)"},"contacts":[{"profile":{"name":"Lead"},"wa_id":"\(from)"}],\
            "messages":[\(items.joined(separator: ","))]}}]}]}
            """
    }

    static func post(_ client: some TestClientProtocol, whatsApp body: String) async throws -> HTTPResponse.Status {
        try await client.execute(
            uri: "/webhooks/whatsapp", method: .post,
            headers: [
                .init("Host")!: "platform.example", .contentType: "application/json",
                .init("X-Hub-Signature-256")!: ChannelTests.signedWhatsApp(body, secret: appSecret),
            ],
            body: ByteBuffer(string: body)) { $0.status }
    }

    static func sandbox(_ client: some TestClientProtocol, tenant: String, from: String, text: String) async throws -> HTTPResponse.Status {
        try await APIClient(client: client, host: "\(tenant).localhost").send(.post, "/webhooks/sandbox", json: ["from": .string(from), "text": .string(text)]).status
    }

    @Test("batched and concurrent messages of one sender reach a plugin one at a time in commit order; other senders run beside them",
          arguments: StorageDriver.allCases)
    func orderPerContact(driver: StorageDriver) async throws {
        let plugins = try Self.plugins([("recorder", #"["message.received"]"#)])
        try await driver.withHost(manifests: ["ord": Self.manifest("ord", plugins: ["recorder"])], configure: { $0.pluginsDirectory = plugins }) { host in
            let scheduler = SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "test")
            try await host.buildApplication().test(.router) { client in
                // Meta batches three messages of one lead in one body, not in the order they were sent.
                let sent = Clock.nowMillis() - 60_000
                let batch = Self.whatsApp(from: "4915100000001", [
                    ("wamid.3", "1", sent + 2000), ("wamid.1", "Ja", sent), ("wamid.2", "so 150 im Monat", sent + 1000),
                ])
                #expect(try await Self.post(client, whatsApp: batch) == .ok)
                await PipelineTests.drain(scheduler)
                #expect(Self.texts(try Self.seen(host, "ord", "recorder")) == ["Ja", "so 150 im Monat", "1"])

                // Twelve webhooks of two senders at once: commit order decides, per sender.
                try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for number in 1...6 {
                        for sender in ["4915100000001", "4915100000002"] {
                            group.addTask {
                                try await Self.post(client, whatsApp: Self.whatsApp(from: sender, [("wamid.\(sender).\(number)", "\(sender)-\(number)", Clock.nowMillis())]))
                            }
                        }
                    }
                    for try await status in group { #expect(status == .ok) }
                }
                await PipelineTests.drain(scheduler)
            }
            let seen = try Self.seen(host, "ord", "recorder")
            #expect(seen.count == 15, "every message once")
            for sender in ["4915100000001", "4915100000002"] {
                let contact = try #require(try host.services.contacts.find(tenantID: "ord", .phone("+" + sender)))
                let mine = seen.filter { $0["contact_id"]?.stringValue == contact.id }
                let sequences = mine.compactMap { $0["sequence"]?.doubleValue }
                #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count, "handled in commit order: \(sequences)")
                // The plugin saw them in the order they were stored.
                let stored = try host.recordedEvents("ord", type: EventCatalogue.messageReceived)
                    .filter { $0.event.contactID == contact.id }.sorted { ($0.event.sequence ?? 0) < ($1.event.sequence ?? 0) }.map(\.event.id)
                #expect(mine.compactMap { $0["id"]?.stringValue } == stored)
            }
        }
    }

    @Test("a plugin that fails an event is retried alone: the other plugin and the rules run once; one that keeps failing ends in the dead-letter list named, and its next event follows",
          arguments: StorageDriver.allCases)
    func failingPluginRetriedAlone(driver: StorageDriver) async throws {
        let plugins = try Self.plugins([("recorder-a", #"["message.received"]"#), ("recorder-b", #"["message.received"]"#)])
        let rule = """
            automation_rules:
              - name: noted
                event: message_created
                actions:
                  - create_task: {title: "Read the message"}
            """
        try await driver.withHost(
            manifests: ["once": Self.manifest("once", plugins: ["recorder-a", "recorder-b"], extra: rule)],
            configure: { $0.pluginsDirectory = plugins }
        ) { host in
            let clock = TestClock()
            let scheduler = SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "test", now: { clock.now })
            let token = try host.token("once", role: "admin")
            try await host.buildApplication().test(.router) { client in
                #expect(try await Self.sandbox(client, tenant: "once", from: "+31600000001", text: "hallo #fail-recorder-a") == .accepted)
                clock.advance(to: Clock.nowMillis())
                await PipelineTests.drain(scheduler, clock: clock)
                let event = try #require(try host.recordedEvents("once", type: EventCatalogue.messageReceived).first)
                let deliveries = try host.services.jobs.list(tenantID: "once", pluginID: nil, status: nil, kind: nil)
                    .filter { $0.payload["event_id"]?.stringValue == event.event.id }
                let attempts = Dictionary(uniqueKeysWithValues: deliveries.map { ("\($0.kind) \($0.pluginID ?? "-")", $0.attempts) })
                #expect(attempts == ["event.deliver recorder-a": 3, "event.deliver recorder-b": 1, "event.rules -": 1])
                #expect(deliveries.allSatisfy { $0.status == "done" })
                #expect(try Self.seen(host, "once", "recorder-a").count == 1 && Self.seen(host, "once", "recorder-b").count == 1)
                #expect(try host.services.tasks.list(tenantID: "once", filter: [:], page: PageRequest(limit: 10)).data.count == 1, "the rule ran once")
                let attemptSeen = try #require(try Self.seen(host, "once", "recorder-a").first?["attempt"])
                #expect(attemptSeen == 3, "the plugin is told which attempt it gets")

                // An event it never accepts goes to the dead-letter list with the plugin named; the next one follows.
                #expect(try await Self.sandbox(client, tenant: "once", from: "+31600000001", text: "#always-fail-recorder-a") == .accepted)
                #expect(try await Self.sandbox(client, tenant: "once", from: "+31600000001", text: "after") == .accepted)
                clock.advance(to: Clock.nowMillis())
                await PipelineTests.drain(scheduler, clock: clock)
                #expect(Self.texts(try Self.seen(host, "once", "recorder-a")) == ["hallo #fail-recorder-a", "after"])
                #expect(Self.texts(try Self.seen(host, "once", "recorder-b")) == ["hallo #fail-recorder-a", "#always-fail-recorder-a", "after"])
                let dead = try await APIClient(client: client, host: "once.localhost", token: token).get("/api/v1/jobs?status=dead").json["data"]?.arrayValue ?? []
                #expect(dead.count == 1)
                #expect(dead.first?["plugin_id"] == "recorder-a" && dead.first?["kind"] == "event.deliver")
                #expect(dead.first?["last_error"]?.stringValue?.contains("recorder-a was told to fail") == true)
                #expect(try host.services.tasks.list(tenantID: "once", filter: [:], page: PageRequest(limit: 10)).data.count == 3, "one task per message")
            }
        }
    }

    @Test("an event a plugin emits reaches the plugins that subscribe to it, in its contact's order, never the emitter; a host event's name is refused",
          arguments: StorageDriver.allCases)
    func emittedEvents(driver: StorageDriver) async throws {
        let plugins = try Self.plugins([("recorder-a", #"["*"]"#), ("recorder-b", #"["message.received", "recorder-a.*"]"#)])
        try await driver.withHost(
            manifests: ["emit": Self.manifest("emit", plugins: ["recorder-a", "recorder-b"])], configure: { $0.pluginsDirectory = plugins }
        ) { host in
            let scheduler = SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "test")
            try await host.buildApplication().test(.router) { client in
                for text in ["hallo #emit-recorder-a", "later"] {
                    let status = try await Self.sandbox(client, tenant: "emit", from: "+31600000003", text: text)
                    #expect(status == .accepted)
                    await PipelineTests.drain(scheduler)
                }
            }
            let statuses = try #require(try host.services.records.get(.init(tenantID: "emit", pluginID: "recorder-a"), collection: "emits", key: "last"))
            #expect(try JSON.parse(statuses) == ["own": .number(Double(SB_OK)), "host": .number(Double(SB_BAD_ARGUMENT))])
            let b = try Self.seen(host, "emit", "recorder-b")
            #expect(b.map { $0["type"]?.stringValue ?? "" } == ["message.received", "recorder-a.noticed", "message.received"], "in the contact's order")
            #expect(b[1]["source"] == "recorder-a" && b[1]["actor"] == "plugin:recorder-a" && b[1]["data"] == ["by": "recorder-a"])
            let contact = try #require(try host.services.contacts.find(tenantID: "emit", .phone("+31600000003")))
            #expect(b[1]["contact_id"] == .string(contact.id))
            #expect(try !Self.seen(host, "emit", "recorder-a").contains { $0["type"] == "recorder-a.noticed" }, "the emitter does not get its own")
        }
    }

    @Test("a plugin does not get the events its own changes raise, and each event names who caused it", arguments: StorageDriver.allCases)
    func eventsNameTheirActor(driver: StorageDriver) async throws {
        let plugins = try Self.plugins([("recorder", #"["*"]"#)])
        try await driver.withHost(manifests: ["who": Self.manifest("who", plugins: ["recorder"])], configure: { $0.pluginsDirectory = plugins }) { host in
            let scheduler = SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "test")
            let token = try host.token("who", role: "admin")
            let contact = try host.services.contacts.create(tenantID: "who", name: "Eva", phone: "+31600000002", email: nil, actor: "user:Ana")
            _ = try host.services.contacts.update(tenantID: "who", id: contact.id, attributes: ["tier": "gold"], actor: .plugin("recorder"))
            try await host.buildApplication().test(.router) { client in
                let added = try await APIClient(client: client, host: "who.localhost", token: token)
                    .post("/api/v1/contacts/\(contact.id)/labels", ["labels": ["vip"]])
                #expect(added.status == .ok)
            }
            await PipelineTests.drain(scheduler)
            let seen = try Self.seen(host, "who", "recorder")
            #expect(seen.map { $0["type"]?.stringValue ?? "" } == ["contact.created", "contact.updated"], "its own attribute change is not handed back")
            #expect(seen.first?["actor"] == "user:Ana")
            #expect(seen.last?["actor"] == "token:test-admin")
            #expect(seen.last?["data"]?["changes"]?["labels_added"] == ["vip"])
            #expect(seen.map { $0["sequence"]?.doubleValue ?? 0 } == [1, 3], "the plugin's own change took sequence 2")
        }
    }

    @Test("the retention sweep deletes finished jobs and events older than the retention; dead and recent ones stay", arguments: StorageDriver.allCases)
    func retentionSweep(driver: StorageDriver) async throws {
        let plugins = try Self.plugins([("recorder-a", #"["message.received"]"#)])
        try await driver.withHost(manifests: ["old": Self.manifest("old", plugins: ["recorder-a"])], configure: { $0.pluginsDirectory = plugins }) { host in
            let clock = TestClock()
            var settings = host.configuration.scheduler
            settings.retention = .seconds(7 * 86_400)
            let scheduler = SchedulerService(registry: host.registry, settings: settings, workerID: "test", now: { clock.now })
            try await host.buildApplication().test(.router) { client in
                for text in ["first", "#always-fail-recorder-a"] {
                    let status = try await Self.sandbox(client, tenant: "old", from: "+31600000004", text: text)
                    #expect(status == .accepted)
                }
            }
            clock.advance(to: Clock.nowMillis())
            await PipelineTests.drain(scheduler, clock: clock)
            let finished = try host.services.jobs.list(tenantID: "old", pluginID: nil, status: "done", kind: nil).count
            #expect(finished > 0)
            #expect(try host.services.jobs.list(tenantID: "old", pluginID: nil, status: "dead", kind: nil).count == 1)
            let recorded = try host.recordedEvents("old").count

            clock.advance(by: .seconds(6 * 86_400))
            #expect(await scheduler.sweep() == (0, 0), "nothing is old enough yet")
            clock.advance(by: .seconds(2 * 86_400))
            let swept = await scheduler.sweep()
            #expect(swept.jobs == finished && swept.events == recorded)
            #expect(try host.recordedEvents("old").isEmpty)
            #expect(try host.services.jobs.list(tenantID: "old", pluginID: nil, status: "dead", kind: nil).count == 1, "the dead-letter list stays")
        }
    }
}
