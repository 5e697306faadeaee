import PluginAPI

/// Flow 1 (new customer) and flow 2 (minor): the intake questions, the age question and the guardian.
extension ConversationFlow {
    /// Stores a free-text answer in `attribute` and asks the question of `next`.
    func collect(_ turn: inout Turn, _ attribute: String, next: String) throws {
        guard turn.text.count <= 100 else { return try misunderstood(&turn, prompt: text(turn.conversationText("bot_step") ?? next, turn)) }
        try turn.setContact([attribute: .string(turn.text)])
        try ask(&turn, next, step: next)
    }

    func askedFormat(_ turn: inout Turn) throws {
        guard let format = Intents.format(turn.text) else { return try misunderstood(&turn, prompt: text("ask_format", turn)) }
        try turn.setContact(["format_preference": .string(format)])
        if turn.contactText("is_adult") == nil { return try ask(&turn, "ask_adult", step: "ask_adult") }
        try finishIntake(&turn)
    }

    func askedAdult(_ turn: inout Turn) throws {
        guard let adult = Intents.yesNo(turn.text) else { return try misunderstood(&turn, prompt: text("ask_adult", turn)) }
        if adult {
            try turn.setContact(["is_adult": "true"])
            return try continueAfterAge(&turn)
        }
        try turn.setContact(["is_adult": "false", "guardian_consent": ""])
        try ask(&turn, "ask_guardian_name", step: "ask_guardian_name")
    }

    func askedGuardianName(_ turn: inout Turn) throws {
        guard (2...80).contains(turn.text.count) else { return try misunderstood(&turn, prompt: text("ask_guardian_name", turn)) }
        try turn.setContact(["guardian_name": .string(turn.text)])
        try ask(&turn, "ask_guardian_phone", step: "ask_guardian_phone", ["guardian": turn.text])
    }

    func askedGuardianPhone(_ turn: inout Turn) throws {
        let guardian = turn.contactText("guardian_name") ?? ""
        guard let phone = Intents.phone(turn.text), phone != turn.phone else {
            return try misunderstood(&turn, prompt: text("ask_guardian_phone", turn, ["guardian": guardian]))
        }
        try turn.setContact(["guardian_phone": .string(phone)])
        try consent.request(turn, guardianName: guardian, guardianPhone: phone, message: text("guardian_consent_request", turn, ["guardian": guardian]))
        try turn.reply(text("guardian_asked", turn, ["guardian": guardian]))
        try continueAfterAge(&turn)
    }

    /// After the age question: a new customer finishes the intake, a known student goes on planning.
    func continueAfterAge(_ turn: inout Turn) throws {
        if turn.contactText("is_student") == "true" { return try startPlanning(&turn) }
        try finishIntake(&turn)
    }

    /// `is_student=true` with `welcome_done=false` (the `new_client` rule), the tutor is notified, then planning starts.
    func finishIntake(_ turn: inout Turn) throws {
        var attributes: [String: JSON] = ["is_student": "true", "welcome_done": "false"]
        if turn.contactText("student_since") == nil { attributes["student_since"] = .string(Turn.timestamp(host.now)) }
        try turn.setContact(attributes)
        try turn.reply(text("intake_done", turn))
        let details = [
            "level": turn.contactText("education_level") ?? "?", "subject": turn.contactText("subject") ?? "?",
            "year": turn.contactText("year") ?? "?", "format": turn.contactText("format_preference") ?? "?",
        ]
        try notifier.notify(text("notify_new_client", turn, details), title: "Nieuwe klant: \(turn.contactText("first_name") ?? "")", turn: turn)
        try startPlanning(&turn)
    }
}
