import Foundation

/// Email over SMTP (the `smtp` channel), for tenants without Microsoft Graph: a plain-text message from
/// the channel's `from` (multipart when it has attachments), sent with libcurl. Returns the Message-ID. A 5xx SMTP reply fails the message;
/// anything else is retried.
struct SMTPSender: ChannelSender {
    func deliver(_ envelope: OutboundEnvelope, config: ChannelConfig, http: HTTPClient) async throws -> String {
        var message = MailMessage(
            from: config["from"] ?? "", to: [envelope.to], subject: envelope.subject ?? "", text: envelope.renderedText)
        message.attachments = envelope.attachments.map {
            MailMessage.Attachment(filename: $0.filename, contentType: $0.contentType, data: Array(Data(base64Encoded: $0.contentBase64) ?? Data()))
        }
        let server = SMTPClient.Server(
            url: config["url"] ?? "", username: config["username"],
            password: config["password"] == nil ? nil : try config.secret("password"))
        do {
            try await SMTPClient().send(message, via: server)
        } catch let failure as SMTPClient.Failure {
            if failure.isPermanent { throw DeliveryError.permanent(code: "smtp_\(failure.replyCode)", message: failure.description) }
            throw DeliveryError.transient(failure.description)
        }
        return message.messageID
    }
}
