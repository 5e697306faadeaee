import CCurl
import Foundation

/// Sends mail over SMTP through libcurl. `smtp://host:port` upgrades with STARTTLS when the server
/// offers it, and insists on it once a password is sent; `smtps://` uses TLS from the start.
/// A send is awaited on the host's curl thread.
public struct SMTPClient: Sendable {
    /// Where and as whom to send.
    public struct Server: Sendable {
        public var url: String
        public var username: String?
        public var password: String?
        public var timeoutMillis: Int

        public init(url: String, username: String? = nil, password: String? = nil, timeoutMillis: Int = 20_000) {
            self.url = url
            self.username = username
            self.password = password
            self.timeoutMillis = timeoutMillis
        }
    }

    /// A send that failed; `replyCode` is the server's last SMTP reply, 0 when none came.
    public struct Failure: Error, CustomStringConvertible {
        public let replyCode: Int
        public let description: String
        /// A 5xx reply will fail again; 4xx replies, timeouts and refused connections may pass later.
        public var isPermanent: Bool { (500..<600).contains(replyCode) }
    }

    public init() { _ = HTTPClient.globalInit }

    /// Hands the message to the server for every recipient in `message.to`, on the host's curl thread
    /// (`CurlTransfers`): the caller waits without a thread of its own.
    public func send(_ message: MailMessage, via server: Server) async throws {
        let transfer = try SMTPTransfer(message, server)
        let code = await CurlTransfers.shared.perform(transfer.curl)
        guard code == CURLE_OK else {
            var reply = 0
            sb_curl_get_long(transfer.curl, CURLINFO_RESPONSE_CODE, &reply)
            let reason = String(cString: curl_easy_strerror(code))
            throw Failure(replyCode: reply, description: "SMTP \(server.url): \(reason)" + (reply > 0 ? " (reply \(reply))" : ""))
        }
    }
}

/// One prepared SMTP transfer: the easy handle and everything it points at, kept alive until it is over.
private final class SMTPTransfer: @unchecked Sendable {
    let curl: UnsafeMutableRawPointer
    private var recipients: UnsafeMutablePointer<curl_slist>?
    private let source: Source

    init(_ message: MailMessage, _ server: SMTPClient.Server) throws {
        guard let curl = curl_easy_init() else { throw SMTPClient.Failure(replyCode: 0, description: "curl_easy_init failed") }
        self.curl = curl
        for address in message.to { recipients = curl_slist_append(recipients, "<\(MailMessage.address(in: address))>") }
        source = Source(bytes: message.rendered())
        sb_curl_set_string(curl, CURLOPT_URL, server.url)
        sb_curl_set_long(curl, CURLOPT_PROTOCOLS, Int(CURLPROTO_SMTP | CURLPROTO_SMTPS))
        sb_curl_set_long(curl, CURLOPT_NOSIGNAL, 1)
        sb_curl_set_long(curl, CURLOPT_TIMEOUT_MS, server.timeoutMillis)
        sb_curl_set_long(curl, CURLOPT_CONNECTTIMEOUT_MS, min(server.timeoutMillis, 5000))
        if let username = server.username {
            sb_curl_set_string(curl, CURLOPT_USERNAME, username)
            sb_curl_set_string(curl, CURLOPT_PASSWORD, server.password ?? "")
        }
        let tls = server.username == nil ? CURLUSESSL_TRY : CURLUSESSL_ALL
        sb_curl_set_long(curl, CURLOPT_USE_SSL, Int(tls.rawValue))
        sb_curl_set_string(curl, CURLOPT_MAIL_FROM, "<\(MailMessage.address(in: message.from))>")
        sb_curl_set_slist(curl, CURLOPT_MAIL_RCPT, recipients)
        sb_curl_set_long(curl, CURLOPT_UPLOAD, 1)
        sb_curl_set_read_function(curl, readMessage)
        sb_curl_set_pointer(curl, CURLOPT_READDATA, Unmanaged.passUnretained(source).toOpaque())
    }

    deinit {
        curl_slist_free_all(recipients)
        curl_easy_cleanup(curl)
    }
}

/// The message bytes libcurl reads while it uploads.
private final class Source {
    let bytes: [UInt8]
    var offset = 0
    init(bytes: [UInt8]) { self.bytes = bytes }
}

private let readMessage: sb_curl_read_fn = { buffer, size, count, user in
    guard let buffer, let user else { return 0 }
    let source = Unmanaged<Source>.fromOpaque(user).takeUnretainedValue()
    let length = min(size * count, source.bytes.count - source.offset)
    source.bytes.withUnsafeBufferPointer { bytes in
        UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress! + source.offset, byteCount: length)
    }
    source.offset += length
    return length
}
