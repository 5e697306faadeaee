import PluginAPI

/// `/api/communication/messages`: a thread's messages, sending a reply or adding a note, and
/// updating delivery status, read receipt, attachments or metadata.
extension ChargeCarsCommsPlugin {
    /// The thread's messages, oldest first, with what the host keeps of its own messages (text, subject,
    /// HTML, stored attachments) filled in from the host.
    func messages(of thread: ThreadRecord) throws -> JSON {
        var hostMessages: [String: JSON] = [:]
        if let conversationID = thread.conversationID {
            var cursor: String?
            repeat {
                var request: [String: JSON] = ["conversation_id": .string(conversationID), "limit": 200]
                if let cursor { request["cursor"] = .string(cursor) }
                let page = try host.call("messages.list", JSON.object(request))
                for message in page["data"]?.arrayValue ?? [] { if let id = message["id"]?.stringValue { hostMessages[id] = message } }
                cursor = page["next_cursor"]?.stringValue
            } while cursor != nil
        }
        var result: [JSON] = []
        var after: String?
        repeat {
            let page = try host.query(Collections.messages, as: MessageRecord.self, prefix: "\(thread.id)|", after: after, limit: 500)
            for record in page.records {
                var message = record.value
                if let id = message.hostMessageID, let stored = hostMessages[id] {
                    let details = stored["details"] ?? .null
                    message.messageContent = message.messageContent ?? stored["content"]?.stringValue
                    message.subject = message.subject ?? details["subject"]?.stringValue
                    message.messageHTML = message.messageHTML ?? details["html"]?.stringValue
                    if message.attachments.isEmpty { message.attachments = details["attachments"]?.arrayValue ?? [] }
                }
                result.append(try JSON(encoding: message))
            }
            after = page.next
        } while after != nil
        return .array(result)
    }

    func listMessages(_ query: [String: String]) throws -> JSON {
        guard let id = query["thread_id"] else { throw PluginError.badArgument("thread_id is required") }
        return ["data": try messages(of: try threads.require(id))]
    }

    /// `POST`: an `outgoing` reply (text or `template_name` with `variables`) through the host, which answers
    /// the thread and stops its SLA ladder, or an `internal_note`.
    func postMessage(_ body: JSON, identity: String?) throws -> JSON {
        guard let id = body["thread_id"]?.stringValue else { throw PluginError.badArgument("thread_id is required") }
        var thread = try threads.require(id)
        let type = try Vocabulary.check(body["message_type"]?.stringValue ?? "outgoing", in: Vocabulary.messageTypes, field: "message_type")
        guard ["outgoing", "internal_note"].contains(type) else { throw PluginError.badArgument("only outgoing messages and internal notes can be posted; \(type) ones come from the system") }
        let sender = body["sender_contact_id"]?.stringValue ?? identity
        let now = host.now
        guard type == "outgoing" else {
            guard let text = body["message_content"]?.stringValue else { throw PluginError.badArgument("message_content is required") }
            try appendNote(thread, type: "internal_note", text: text, at: millis(now), sender: sender)
            return try messages(of: thread).arrayValue?.last ?? .null
        }
        var variables: [String: String] = [:]
        for (key, value) in body["variables"]?.objectValue ?? [:] { variables[key] = value.stringValue }
        let message = try send(&thread, text: body["message_content"]?.stringValue, templateName: body["template_name"]?.stringValue,
                               variables: variables, type: "outgoing", sender: sender, at: now)
        try answer(&thread, at: now)
        try threads.save(thread)
        return try JSON(encoding: message)
    }

    /// `PUT /api/communication/messages/{id}`.
    func updateMessage(_ id: String, _ body: JSON) throws -> JSON {
        guard let key = try host.get(Collections.messageKeys, id, as: String.self),
            var message = try host.get(Collections.messages, key, as: MessageRecord.self)
        else { throw PluginError.notFound("no message \(id)") }
        if let status = body["delivery_status"]?.stringValue {
            message.deliveryStatus = try Vocabulary.check(status, in: Vocabulary.deliveryStatuses, field: "delivery_status")
        }
        if let readAt = body["read_at"]?.doubleValue { message.readAt = Int64(readAt) }
        if let attachments = body["attachments"]?.arrayValue { message.attachments = attachments }
        if let metadata = body["metadata"] { message.metadata = metadata }
        try host.put(Collections.messages, key, message)
        return try JSON(encoding: message)
    }
}
