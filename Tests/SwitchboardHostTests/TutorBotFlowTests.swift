import Foundation
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// TutorBot end to end: messages through `POST /webhooks/sandbox` and the scheduler, against `tenants/tutorbot.yaml`.
@Suite("TutorBot flows, slots and ops")
struct TutorBotFlowTests {
    static let tutorPhone = "+31600000001"

    /// The channel a test talks to the bot on: the sandbox, or Chatwoot with TutorBot as its agent bot.
    enum Channel: String, CaseIterable, Sendable {
        case sandbox, chatwoot
    }

    /// A tutorbot host with its scheduler driven by hand, and helpers to chat and look.
    struct Bot {
        let host: SwitchboardHost
        let scheduler: SchedulerService
        let api: APIClient
        /// The fake Chatwoot, when the bot is talked to through Chatwoot.
        let chatwoot: FakeProvider?

        /// An inbound message from `from`: a sandbox message, or a Chatwoot `message_created` in that contact's
        /// Chatwoot conversation. Then the scheduler runs until idle (dispatch, replies, deliveries).
        func say(_ from: String, _ text: String) async throws {
            if chatwoot != nil {
                let event = TutorBotChatwootTests.messageCreated(from: from, text: text)
                let reply = try await api.send(.post, "/webhooks/chatwoot?token=hook-token", json: event, token: .some(nil))
                #expect(reply.status == .ok)
            } else {
                let reply = try await api.send(.post, "/webhooks/sandbox", json: ["from": .string(from), "text": .string(text)], token: .some(nil))
                #expect(reply.status == .accepted)
            }
            await PipelineTests.drain(scheduler)
        }

        /// The texts posted into a contact's Chatwoot conversation, oldest first (empty on the sandbox).
        func chatwootPosts(_ phone: String) -> [String] {
            let path = "/api/v1/accounts/7/conversations/\(TutorBotChatwootTests.conversationID(phone))/messages"
            return chatwoot?.requests("POST", path).compactMap { $0.json["content"]?.stringValue } ?? []
        }

        func contact(_ phone: String) throws -> Contact {
            try #require(try host.services.contacts.find(tenantID: "tutorbot", .phone(phone)))
        }

        func attribute(_ phone: String, _ name: String) throws -> String? {
            try contact(phone).attributes[name]?.stringValue
        }

        /// The outbound texts to a contact, oldest first.
        func replies(_ phone: String) throws -> [String] {
            let id = try contact(phone).id
            return try host.services.database.read {
                try $0.query(
                    "SELECT content FROM messages WHERE tenant_id = 'tutorbot' AND contact_id = $1 AND direction = 'outbound' ORDER BY created_at, rowid",
                    [.text(id)])
            }.compactMap { $0.string("content") }
        }

        func conversation(_ phone: String) throws -> Conversation {
            let id = try contact(phone).id
            return try #require(try host.services.conversations.list(tenantID: "tutorbot", filter: ["contact_id": id], page: .init()).data.first)
        }

        func tasks() throws -> [TaskItem] {
            try host.services.tasks.list(tenantID: "tutorbot", filter: [:], page: .init(limit: 200)).data
        }

        /// The slots the bot offered last, as [start, end) in epoch ms.
        func offeredSlots(_ phone: String) throws -> [(start: Int64, end: Int64)] {
            let text = try #require(try conversation(phone).attributes["offered_slots"]?.stringValue)
            return try JSON.parse(text).arrayValue?.compactMap { pair in
                guard let start = pair.arrayValue?.first?.doubleValue, let end = pair.arrayValue?.last?.doubleValue else { return nil }
                return (Int64(start), Int64(end))
            } ?? []
        }

        func events() throws -> [CalendarEvent] {
            try host.services.calendar.events(tenantID: "tutorbot", from: 0, to: Int64.max / 2)
        }
    }

    /// Runs `body` against a tutorbot host serving `yaml` (by default `tenants/tutorbot.yaml`); on `.chatwoot`
    /// the manifest gains a Chatwoot channel whose API is a fake on 127.0.0.1.
    static func withBot(yaml: String? = nil, channel: Channel = .sandbox, _ body: @Sendable (Bot) async throws -> Void) async throws {
        let yaml = try yaml ?? String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("tenants/tutorbot.yaml"), encoding: .utf8)
        guard channel == .chatwoot else { return try await run(yaml: yaml, chatwoot: nil, body) }
        try await FakeProvider.run(routes: TutorBotChatwootTests.routes) { chatwoot in
            try await run(yaml: TutorBotChatwootTests.manifest(yaml, chatwoot: chatwoot), chatwoot: chatwoot, body)
        }
    }

    private static func run(yaml: String, chatwoot: FakeProvider?, _ body: @Sendable (Bot) async throws -> Void) async throws {
        let host = try TestEnvironment.host(manifests: ["tutorbot": yaml], configure: { $0.scheduler.enabled = false })
        let scheduler = SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "test")
        let token = try host.token("tutorbot", role: "admin")
        try await host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "tutorbot.localhost", token: token)
            try await body(Bot(host: host, scheduler: scheduler, api: api, chatwoot: chatwoot))
        }
    }

    @Test("an event delivered again, as after a host died before it heard back, is not answered twice")
    func redeliveredTurn() async throws {
        try await Self.withBot { bot in
            let eva = "+31611111112"
            try await bot.say(eva, "Hallo, ik wil bijles")
            let replies = try bot.replies(eva)
            #expect(replies.count == 1)
            try bot.host.redeliverLast(EventCatalogue.messageReceived, tenantID: "tutorbot", to: "tutorbot")
            await PipelineTests.drain(bot.scheduler)
            let delivery = try bot.host.services.jobs.list(tenantID: "tutorbot", pluginID: "tutorbot", status: "done", kind: EventLog.deliverKind)
            #expect(delivery.contains { $0.attempts == 2 }, "the plugin got it a second time")
            #expect(try bot.replies(eva) == replies, "and did not answer it again")
        }
    }

    @Test("flow 1 and 3: a new adult customer in English, intake, planning, booking with ICS, then the follow-up menu", arguments: Channel.allCases)
    func newCustomerBooks(channel: Channel) async throws {
        try await Self.withBot(channel: channel) { bot in
            let eva = "+31611111111"
            try await bot.say(eva, "Hello, I would like tutoring please")
            #expect(try bot.attribute(eva, "language") == "en")
            #expect(try bot.attribute(eva, "name_asked_at") != nil && bot.attribute(eva, "first_contact_at") != nil)
            #expect(try bot.replies(eva).last?.contains("What is your name?") == true)

            try await bot.say(eva, "My name is eva")
            #expect(try bot.attribute(eva, "first_name") == "Eva")
            #expect(try bot.replies(eva).last?.contains("1. Book a trial lesson") == true)
            #expect(try bot.replies(eva).last?.contains("Weekend") == false)

            for answer in ["1", "havo", "maths", "4", "online"] { try await bot.say(eva, answer) }
            #expect(try bot.attribute(eva, "education_level") == "havo" && bot.attribute(eva, "subject") == "maths")
            #expect(try bot.attribute(eva, "year") == "4" && bot.attribute(eva, "format_preference") == "online")
            #expect(try bot.replies(eva).last?.contains("18 or older") == true)

            try await bot.say(eva, "yes")
            let contact = try bot.contact(eva)
            #expect(contact.attributes["is_adult"] == "true" && contact.attributes["is_student"] == "true")
            #expect(contact.attributes["welcome_done"] == "false" && contact.attributes["age_verified_at"] != nil)
            #expect(contact.labels.contains("new_client") && contact.labels.contains("age_verified"))
            #expect(try bot.conversation(eva).attributes["pending_intent"] == "plan")
            #expect(try bot.tasks().contains { $0.title.contains("Nieuwe klant") && $0.assignee == "Stephan" })
            #expect(try bot.replies(Self.tutorPhone).contains { $0.contains("Eva") && $0.contains("havo") })
            #expect(try bot.tasks().contains { $0.title == "Planningsverzoek: Eva" }, "pending_intent=plan notifies the tutor")
            #expect(try bot.replies(Self.tutorPhone).contains("Planning request: Eva would like to plan a lesson."))
            #expect(try bot.replies(eva).last?.contains("When suits you best?") == true)

            try await bot.say(eva, "tuesday afternoon")
            #expect(try bot.conversation(eva).attributes["preferred_times"] == "tuesday afternoon")
            let offer = try #require(try bot.replies(eva).last)
            #expect(offer.contains("These times are free") && offer.contains("1. Tuesday"))

            try await bot.say(eva, "2")
            let events = try bot.host.services.calendar.events(tenantID: "tutorbot", from: 0, to: Int64.max / 2, includeCancelled: false)
            #expect(events.count == 1 && events.first?.contactID == contact.id)
            let replies = try bot.replies(eva)
            #expect(replies[replies.count - 2].contains("Your lesson is booked for Tuesday"))
            #expect(replies.last?.contains("BEGIN:VCALENDAR") == true)
            let booked = try bot.contact(eva)
            #expect(booked.attributes["welcome_done"] == "true")
            #expect(booked.labels.contains("returning_client") && !booked.labels.contains("new_client"))
            #expect(try bot.conversation(eva).attributes["pending_intent"]?.stringValue == nil)
            #expect(try bot.tasks().contains { $0.title.contains("Les geboekt") })

            try await bot.say(eva, "hmm")
            #expect(try bot.replies(eva).last?.contains("Welcome back, Eva") == true, "the follow-up menu in the re-prompt")
            if channel == .chatwoot { #expect(bot.chatwootPosts(eva).sorted() == (try bot.replies(eva)).sorted(), "every reply went back into Chatwoot") }
        }
    }

    @Test("flow 2: a minor in Dutch, guardian consent from the guardian's own number, planning refused until then", arguments: Channel.allCases)
    func minorNeedsConsent(channel: Channel) async throws {
        try await Self.withBot(channel: channel) { bot in
            let sam = "+31622222222", petra = "+31612345678"
            for text in ["Hoi, ik wil graag bijles", "Ik ben Sam", "1", "vwo", "wiskunde", "3", "op locatie", "nee"] {
                try await bot.say(sam, text)
            }
            #expect(try bot.attribute(sam, "language") == "nl" && bot.attribute(sam, "format_preference") == "offline")
            #expect(try bot.attribute(sam, "is_adult") == "false")
            #expect(Set(try bot.contact(sam).labels).isSuperset(of: ["needs_guardian", "minor", "needs_parent_contact"]))
            try await bot.say(sam, "Petra de Vries")
            try await bot.say(sam, "06-12345678")
            #expect(try bot.attribute(sam, "guardian_name") == "Petra de Vries" && bot.attribute(sam, "guardian_phone") == petra)
            #expect(try bot.replies(petra).first?.contains("Antwoord JA of NEE") == true)
            #expect(try bot.replies(sam).last?.contains("pas een les plannen") == true, "planning is refused")

            try await bot.say(sam, "1")
            #expect(try bot.replies(sam).last?.contains("pas een les plannen") == true, "still refused without consent")

            try await bot.say(petra, "JA")
            #expect(try bot.attribute(sam, "guardian_consent") == "true" && bot.attribute(sam, "guardian_verified_at") != nil)
            #expect(!(try bot.contact(sam).labels.contains("needs_parent_contact")))
            #expect(try bot.replies(sam).last?.contains("toestemming gegeven") == true)
            #expect(try bot.replies(petra).last?.contains("vastgelegd") == true)

            try await bot.say(sam, "1")
            #expect(try bot.attribute(sam, "age_verified_at") != nil)
            #expect(try bot.replies(sam).last?.contains("Wanneer komt het jou het beste uit?") == true)
            if channel == .chatwoot { #expect(bot.chatwootPosts(sam).sorted() == (try bot.replies(sam)).sorted(), "every reply went back into Chatwoot") }
        }
    }

    @Test("repeated misunderstanding hands over to the tutor; the bot stays quiet until released", arguments: Channel.allCases)
    func handover(channel: Channel) async throws {
        try await Self.withBot(channel: channel) { bot in
            let bo = "+31633333333"
            for text in ["Hallo", "Ik ben Bo", "blabla"] { try await bot.say(bo, text) }
            #expect(try bot.replies(bo).last?.contains("Sorry, dat begreep ik niet") == true)
            try await bot.say(bo, "wat?")
            try await bot.say(bo, "huh")
            let conversation = try bot.conversation(bo)
            #expect(conversation.owner == "human" && conversation.assignee == "Stephan")
            #expect(try bot.replies(bo).last?.contains("Ik geef je door aan Stephan") == true)
            #expect(try bot.tasks().contains { $0.taskType == "escalation" })
            let count = try bot.replies(bo).count
            try await bot.say(bo, "hallo??")
            #expect(try bot.replies(bo).count == count, "the bot is quiet while a human owns the conversation")

            let released = try await bot.api.post("/api/tutorbot/conversations/\(conversation.id)/release", [:])
            #expect(released.status == .ok)
            try await bot.say(bo, "hallo")
            #expect(try bot.replies(bo).last?.contains("1. Proefles aanvragen") == true)
            if channel == .chatwoot { #expect(bot.chatwootPosts(bo).sorted() == (try bot.replies(bo)).sorted(), "every reply went back into Chatwoot") }
        }
    }

    @Test("flow 4: wknd_eligible brings the weekend_discount label and the menu option", arguments: Channel.allCases)
    func weekendDiscount(channel: Channel) async throws {
        try await Self.withBot(channel: channel) { bot in
            let lisa = "+31644444444"
            try await bot.say(lisa, "Hoi")
            let id = try bot.contact(lisa).id
            #expect(try await bot.api.patch("/api/v1/contacts/\(id)/attributes", ["wknd_eligible": "true"]).status == .ok)
            #expect(try bot.contact(lisa).labels.contains("weekend_discount"))
            try await bot.say(lisa, "Lisa")
            #expect(try bot.replies(lisa).last?.contains("4. Weekendkorting") == true)
            try await bot.say(lisa, "4")
            #expect(try bot.replies(lisa).last?.contains("korting op lessen in het weekend") == true)
            if channel == .chatwoot { #expect(bot.chatwootPosts(lisa).sorted() == (try bot.replies(lisa)).sorted(), "every reply went back into Chatwoot") }
        }
    }

    @Test(
        "flow 5 and 3: a returning client gets the follow-up menu; pending_intent=plan notifies the tutor; a slot taken meanwhile is refused with fresh slots",
        arguments: Channel.allCases)
    func returningClientPlans(channel: Channel) async throws {
        try await Self.withBot(channel: channel) { bot in
            let noa = "+31688888888"
            let created = try await bot.api.post("/api/v1/contacts", [
                "name": "Noa", "phone": .string(noa),
                "attributes": [
                    "first_name": "Noa", "language": "nl", "is_adult": "true", "is_student": "true", "welcome_done": "true",
                    "education_level": "havo", "subject": "wiskunde", "year": "5", "format_preference": "online",
                ],
            ])
            #expect(created.status == .created)
            try await bot.say(noa, "Hoi")
            let menu = try #require(try bot.replies(noa).last)
            #expect(menu.contains("Welkom terug, Noa") && menu.contains("1. Een les plannen") && !menu.contains("Proefles"))

            try await bot.say(noa, "1")
            #expect(try bot.conversation(noa).attributes["pending_intent"] == "plan")
            #expect(try bot.attribute(noa, "age_verified_at") != nil && bot.contact(noa).labels.contains("age_verified"))
            let noaID = try bot.contact(noa).id
            #expect(try bot.tasks().contains { $0.title == "Planningsverzoek: Noa" && $0.assignee == "Stephan" && $0.contactID == noaID })
            #expect(try bot.replies(Self.tutorPhone).contains("Planningsverzoek: Noa wil een les plannen."))

            try await bot.say(noa, "woensdagmiddag")
            let offered = try bot.offeredSlots(noa)
            #expect(offered.count == 3)
            // Someone else is booked into the first offered slot before Noa answers.
            _ = try bot.host.services.calendar.create(
                tenantID: "tutorbot", .init(title: "Andere les", startsAt: offered[0].start, endsAt: offered[0].end), source: "test")
            try await bot.say(noa, "1")
            let replies = try bot.replies(noa)
            #expect(replies[replies.count - 2].contains("is net bezet geraakt"))
            #expect(replies.last?.contains("Deze tijden zijn vrij") == true && replies.last?.contains("woensdag") == true)
            #expect(try bot.events().count == 1, "nothing was booked into the taken slot")
            let fresh = try bot.offeredSlots(noa)
            #expect(!fresh.isEmpty && !fresh.contains { $0.start == offered[0].start })

            try await bot.say(noa, "1")
            let lesson = try #require(try bot.events().first { $0.source != "test" })
            #expect(lesson.startsAt == fresh[0].start && lesson.contactID == noaID)
            #expect(lesson.description?.contains("wiskunde") == true)
            #expect(try bot.replies(noa).last?.contains("BEGIN:VCALENDAR") == true)
            #expect(try bot.tasks().filter { $0.title.hasPrefix("Planningsverzoek") }.count == 1, "one notification per planning request")
            if channel == .chatwoot { #expect(bot.chatwootPosts(noa).sorted() == (try bot.replies(noa)).sorted(), "every reply went back into Chatwoot") }
        }
    }

    @Test("the flow state lives in conversation attributes: a restarted host carries on mid-intake")
    func survivesRestart() async throws {
        try await Self.withBot { bot in
            let kim = "+31699999999"
            for text in ["Hoi", "Ik ben Kim", "1", "havo"] { try await bot.say(kim, text) }
            #expect(try bot.conversation(kim).attributes["bot_step"] == "ask_subject")

            // A new host process on the same database: fresh plugin instances, nothing kept in memory.
            let restarted = try SwitchboardHost.start(bot.host.configuration, logger: TestEnvironment.logger)
            let scheduler = SchedulerService(registry: restarted.registry, settings: restarted.configuration.scheduler, workerID: "restarted")
            try await restarted.buildApplication().test(.router) { client in
                let again = Bot(host: restarted, scheduler: scheduler, api: APIClient(client: client, host: "tutorbot.localhost"), chatwoot: nil)
                try await again.say(kim, "natuurkunde")
                #expect(try again.attribute(kim, "subject") == "natuurkunde" && again.attribute(kim, "education_level") == "havo")
                #expect(try again.replies(kim).last?.contains("In welk jaar") == true)
            }
        }
    }

    @Test("GET /api/tutorbot/slots: segment and profile, busy calendar events with buffers, now only for tenant:admin")
    func slotsRoute() async throws {
        try await Self.withBot { bot in
            let created = try await bot.api.post("/api/v1/contacts", ["name": "Noor", "phone": "+31655555555"])
            let id = try #require(created.json["id"]?.stringValue)
            _ = try bot.host.services.calendar.create(
                tenantID: "tutorbot",
                .init(title: "Les", startsAt: 1_772_528_400_000, endsAt: 1_772_532_000_000),  // Tue 3 March 2026 10:00–11:00 CET
                source: "test")
            let now = "2026-03-02T08:00:00%2B01:00"
            let reply = try await bot.api.get("/api/tutorbot/slots?contact_id=\(id)&limit=3&now=\(now)")
            #expect(reply.status == .ok)
            #expect(reply.json["segment"] == "new" && reply.json["profile"] == "new")
            let starts = reply.json["slots"]?.arrayValue?.compactMap { $0["start"]?.stringValue }
            #expect(starts == ["2026-03-02T20:00:00+01:00", "2026-03-03T11:30:00+01:00", "2026-03-03T12:00:00+01:00"])
            #expect(try bot.host.services.contacts.find(tenantID: "tutorbot", .id(id))?.attributes["segment"] == "new", "cached")

            #expect(try await bot.api.patch("/api/v1/contacts/\(id)/attributes", ["segment": "premium"]).status == .ok)
            let premium = try await bot.api.get("/api/tutorbot/slots?contact_id=\(id)&limit=1&now=\(now)")
            #expect(premium.json["profile"] == "premium")
            #expect(premium.json["slots"]?.arrayValue?.first?["end"] == "2026-03-02T13:30:00+01:00")

            let viewer = try bot.host.token("tutorbot", role: "viewer")
            let denied = try await bot.api.send(.get, "/api/tutorbot/slots?contact_id=\(id)&now=\(now)", token: .some(viewer))
            #expect(denied.status == .forbidden)
            #expect(try await bot.api.send(.get, "/api/tutorbot/slots?contact_id=\(id)", token: .some(viewer)).status == .ok)
        }
    }

    @Test("the attribute audit and the analytics routes")
    func auditAndAnalytics() async throws {
        try await Self.withBot { bot in
            let created = try await bot.api.post("/api/v1/contacts", [
                "name": "Kapot", "phone": "+31666666666",
                "attributes": ["is_adult": "misschien", "first_contact_at": "gisteren", "is_student": "true", "language": "de"],
            ])
            #expect(created.status == .created)
            let audit = try await bot.api.get("/api/tutorbot/audit")
            #expect(audit.status == .ok)
            let problems = audit.json["contacts"]?.arrayValue?.first?["problems"]?.arrayValue ?? []
            let attributes = Set(problems.compactMap { $0["attribute"]?.stringValue })
            #expect(attributes.isSuperset(of: ["is_adult", "first_contact_at", "language", "subject"]))

            try await bot.say("+31677777777", "Hallo")
            let analytics = try await bot.api.get("/api/tutorbot/analytics")
            #expect(analytics.status == .ok)
            #expect(analytics.json["label_counts"]?["new_client"] == 0)
            #expect(analytics.json["bot_performance"]?["replies"] == 1)
            #expect(analytics.json["bot_performance"]?["median_response_ms"]?.doubleValue != nil)
        }
    }
}
