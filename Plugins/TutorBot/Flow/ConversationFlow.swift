import Foundation
import PluginAPI

/// Seed 000's conversation flows as a state machine whose state (`bot_step`, `misunderstood`, `pending_intent`,
/// `preferred_times`, `offered_slots`) lives in conversation attributes, so a restart loses nothing.
struct ConversationFlow {
    let host: PluginAPI.Host
    let config: TutorBotConfig
    let slots: SlotService
    let notifier: Notifier
    let consent: GuardianConsent

    init(host: PluginAPI.Host, config: TutorBotConfig) {
        self.host = host
        self.config = config
        slots = SlotService(host: host, config: config)
        notifier = Notifier(host: host, config: config)
        consent = GuardianConsent(host: host, config: config)
    }

    /// Handles one inbound message; a conversation owned by a human is left alone.
    func handle(_ event: Event) throws {
        guard var turn = Turn(host: host, event: event), turn.owner != "human", !turn.text.isEmpty else { return }
        if try consent.handleReply(turn) { return }
        switch turn.conversationText("bot_step") {
        case nil: try start(&turn)
        case "ask_name": try askedName(&turn)
        case "menu": try chose(&turn)
        case "ask_level": try collect(&turn, "education_level", next: "ask_subject")
        case "ask_subject": try collect(&turn, "subject", next: "ask_year")
        case "ask_year": try collect(&turn, "year", next: "ask_format")
        case "ask_format": try askedFormat(&turn)
        case "ask_adult": try askedAdult(&turn)
        case "ask_guardian_name": try askedGuardianName(&turn)
        case "ask_guardian_phone": try askedGuardianPhone(&turn)
        case "ask_times": try askedTimes(&turn)
        case "pick_slot": try pickedSlot(&turn)
        default: try start(&turn)
        }
    }

    // MARK: Greeting and menus

    /// A returning client gets the follow-up menu; a known name the welcome menu; anyone else is asked their name.
    func start(_ turn: inout Turn) throws {
        if turn.contactText("first_name") != nil {
            try showMenu(&turn)
            return
        }
        let now = Turn.timestamp(host.now)
        var attributes: [String: JSON] = [
            "language": .string(Intents.language(of: turn.text, fallback: turn.contactText("language") ?? "nl")),
            "name_asked_at": .string(now),
        ]
        if turn.contactText("first_contact_at") == nil { attributes["first_contact_at"] = .string(now) }
        try turn.setContact(attributes)
        try ask(&turn, "ask_name", step: "ask_name")
    }

    func askedName(_ turn: inout Turn) throws {
        guard let name = Intents.firstName(from: turn.text) else { return try misunderstood(&turn, prompt: text("ask_name", turn)) }
        try turn.setContact(["first_name": .string(name)])
        try showMenu(&turn)
    }

    func isReturning(_ turn: Turn) -> Bool { turn.contactText("welcome_done") == "true" }

    /// The welcome menu (or the follow-up menu for a returning client), with the weekend discount when eligible.
    func menuText(_ turn: Turn) -> String {
        var menu = text(isReturning(turn) ? "followup_menu" : "welcome_menu", turn)
        if turn.contactText("wknd_eligible") == "true" { menu += "\n" + text("weekend_option", turn) }
        return menu
    }

    func showMenu(_ turn: inout Turn) throws {
        try turn.setConversation(["bot_step": "menu", "misunderstood": .null])
        try turn.reply(menuText(turn))
    }

    static let menuKeywords: [Int: [String]] = [
        1: ["proefles", "trial", "plan", "les", "lesson", "book", "boek"], 2: ["betal", "pay"], 3: ["info"],
        4: ["weekend", "korting", "discount"],
    ]

    func chose(_ turn: inout Turn) throws {
        let options = turn.contactText("wknd_eligible") == "true" ? 4 : 3
        guard let choice = Intents.choice(turn.text, count: options, keywords: Self.menuKeywords) else {
            return try misunderstood(&turn, prompt: menuText(turn))
        }
        try turn.setConversation(["misunderstood": .null])
        switch choice {
        case 1 where turn.contactText("is_student") == "true": try startPlanning(&turn)
        case 1: try ask(&turn, "ask_level", step: "ask_level")
        case 2: try turn.reply(text("payment", turn))
        case 3: try turn.reply(text("info", turn))
        default: try turn.reply(text("weekend_discount", turn))
        }
    }

    // MARK: Helpers

    func text(_ key: String, _ turn: Turn, _ values: [String: String] = [:]) -> String {
        var values = values
        values["tutor"] = config.tutorName
        values["name"] = values["name"] ?? turn.contactText("first_name") ?? ""
        return config.texts.render(key, turn.language, values)
    }

    /// Asks the question `key` and moves to `step`.
    func ask(_ turn: inout Turn, _ key: String, step: String, _ values: [String: String] = [:]) throws {
        try turn.setConversation(["bot_step": .string(step), "misunderstood": .null])
        try turn.reply(text(key, turn, values))
    }

    /// A helpful re-prompt; after `handover_after` in a row, the conversation goes to the tutor.
    func misunderstood(_ turn: inout Turn, prompt: String) throws {
        let count = (Int(turn.conversationText("misunderstood") ?? "") ?? 0) + 1
        guard count < config.handoverAfter else { return try handOver(&turn) }
        try turn.setConversation(["misunderstood": .string(String(count))])
        try turn.reply(text("reprompt", turn, ["menu": prompt]))
    }

    /// Assigns the conversation to the tutor with owner=human; the bot stays quiet until it is released.
    func handOver(_ turn: inout Turn) throws {
        try host.call("conversations.update", JSON.object([
            "id": .string(turn.conversationID), "owner": "human", "assignee": .string(config.tutorName),
            "attributes": ["misunderstood": .null, "bot_step": .null],
        ]))
        try host.put("handovers", "\(turn.conversationID):\(Int(host.now.millis))", ["conversation_id": turn.conversationID])
        try turn.reply(text("handover", turn))
        try notifier.notify(
            text("notify_handover", turn), title: "Overdracht: \(turn.contactText("first_name") ?? turn.contactID)",
            taskType: "escalation", priority: "high", turn: turn)
    }
}
