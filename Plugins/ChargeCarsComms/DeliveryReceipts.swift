import PluginAPI

/// Delivery receipts (seed 004 "Email Read: Update read receipts"): the host's `message.status` moves the record of
/// its message on, whoever sent it. A status only moves forward; a read receipt sets `read_at` to the provider's
/// time, and a failure keeps the provider's error in the metadata. A message the policy blocked before it left fails too.
extension ChargeCarsCommsPlugin {
    func applyReceipt(_ receipt: MessageStatus, at: Int64, conversationID: String?) throws {
        guard let progress = Vocabulary.deliveryProgress[receipt.status],
            let key = try recordKey(ofHostMessage: receipt.messageID, conversationID: conversationID),
            var message = try host.get(Collections.messages, key, as: MessageRecord.self),
            progress > Vocabulary.deliveryProgress[message.deliveryStatus] ?? 0
        else { return }
        message.deliveryStatus = receipt.status
        message.externalMessageID = message.externalMessageID ?? receipt.providerMessageID
        if receipt.status == "read" { message.readAt = at }
        if receipt.status == "failed" { message.keepError(code: receipt.errorCode, message: receipt.errorMessage) }
        try host.put(Collections.messages, key, message)
    }

    /// A logged message the policy refused when its delivery came due (the service window had closed, its contact
    /// opted out meanwhile) never leaves: it failed, with the policy's reason as its error.
    func applyBlock(_ blocked: MessageBlocked, conversationID: String?) throws {
        guard let key = try recordKey(ofHostMessage: blocked.messageID, conversationID: conversationID),
            var message = try host.get(Collections.messages, key, as: MessageRecord.self), message.deliveryStatus == "pending"
        else { return }
        message.deliveryStatus = "failed"
        message.keepError(code: blocked.reason, message: blocked.detail)
        try host.put(Collections.messages, key, message)
    }

    /// The key of the record that logs host message `id`. One stored before the index existed is found in its
    /// thread, whose id is the conversation's.
    private func recordKey(ofHostMessage id: String, conversationID: String?) throws -> String? {
        if let key = try host.get(Collections.hostMessageKeys, id, as: String.self) { return key }
        guard let conversationID else { return nil }
        return try host.query(
            Collections.messages, as: MessageRecord.self, prefix: "\(conversationID)|", where: ["host_message_id": .string(id)], limit: 1
        ).records.first?.key
    }
}

extension MessageRecord {
    /// Keeps why the message failed in its metadata (`error_code`, `error_message`).
    mutating func keepError(code: String?, message text: String?) {
        var fields = metadata.objectValue ?? [:]
        fields["error_code"] = code.map(JSON.string)
        fields["error_message"] = text.map(JSON.string)
        metadata = .object(fields)
    }
}
