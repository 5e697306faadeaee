import Foundation

/// An RFC 5322 email: a UTF-8 plain-text body and optional attachments (then multipart/mixed with
/// base64 parts), rendered with CRLF line ends. Header values lose any line breaks, so no value can
/// inject a header.
public struct MailMessage: Sendable {
    /// A file sent along with the text.
    public struct Attachment: Sendable {
        public var filename: String
        public var contentType: String
        public var data: [UInt8]

        public init(filename: String, contentType: String, data: [UInt8]) {
            self.filename = filename
            self.contentType = contentType
            self.data = data
        }
    }

    /// `Name <address>` or a bare address.
    public var from: String
    public var to: [String]
    public var subject: String
    public var text: String
    public var attachments: [Attachment]
    /// With angle brackets, as in the `Message-ID` header.
    public var messageID: String
    public var date: Date

    public init(from: String, to: [String], subject: String, text: String, attachments: [Attachment] = [], date: Date = Date()) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.attachments = attachments
        self.date = date
        let domain = Self.address(in: from).split(separator: "@").last.map(String.init) ?? "localhost"
        self.messageID = "<\(UUID().uuidString.lowercased())@\(domain)>"
    }

    /// The bare address of `Name <address>`.
    public static func address(in mailbox: String) -> String {
        guard let open = mailbox.lastIndex(of: "<"), let close = mailbox.lastIndex(of: ">"), open < close else {
            return mailbox.trimmingCharacters(in: .whitespaces)
        }
        return String(mailbox[mailbox.index(after: open)..<close])
    }

    /// The message as sent: headers, a blank line, the body.
    public func rendered() -> [UInt8] {
        var lines = [
            "From: \(Self.header(from))",
            "To: \(to.map(Self.header).joined(separator: ", "))",
            "Subject: \(Self.encodedWord(Self.header(subject)))",
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: \(Self.header(messageID))",
            "MIME-Version: 1.0",
        ]
        if attachments.isEmpty {
            lines += Self.textPart(text)
        } else {
            let boundary = "=_switchboard_\(UUID().uuidString.lowercased())"
            lines.append("Content-Type: multipart/mixed; boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("--\(boundary)")
            lines += Self.textPart(text)
            for attachment in attachments {
                let name = Self.encodedWord(Self.header(attachment.filename).replacingOccurrences(of: "\"", with: "'"))
                lines += [
                    "--\(boundary)",
                    "Content-Type: \(Self.header(attachment.contentType)); name=\"\(name)\"",
                    "Content-Disposition: attachment; filename=\"\(name)\"",
                    "Content-Transfer-Encoding: base64",
                    "",
                    Self.base64Lines(attachment.data),
                ]
            }
            lines.append("--\(boundary)--")
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    /// The headers and body of the text part: 7bit when it is short-lined ASCII, base64 otherwise.
    private static func textPart(_ text: String) -> [String] {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        let lines = normalized.split(separator: "\n", omittingEmptySubsequences: false)
        let plain = normalized.allSatisfy(\.isASCII) && lines.allSatisfy { $0.utf8.count <= 998 }
        return [
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: \(plain ? "7bit" : "base64")",
            "",
            plain ? lines.joined(separator: "\r\n") : base64Lines(Array(normalized.utf8)),
        ]
    }

    private static func base64Lines(_ data: [UInt8]) -> String {
        let encoded = Data(data).base64EncodedString()
        return stride(from: 0, to: encoded.count, by: 76).map { start in
            let from = encoded.index(encoded.startIndex, offsetBy: start)
            return String(encoded[from..<(encoded.index(from, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex)])
        }.joined(separator: "\r\n")
    }

    /// A header value without line breaks.
    private static func header(_ value: String) -> String {
        value.components(separatedBy: .newlines).joined(separator: " ")
    }

    /// RFC 2047 `=?UTF-8?B?…?=` for a value that is not plain ASCII.
    private static func encodedWord(_ value: String) -> String {
        value.allSatisfy(\.isASCII) ? value : "=?UTF-8?B?\(Data(value.utf8).base64EncodedString())?="
    }

    private static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }
}
