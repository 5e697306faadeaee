import CCurl
import Foundation

/// Outbound HTTP through libcurl: `send` awaits the answer on the host's curl thread, `perform` blocks the calling
/// thread (off the event loop).
public struct HTTPClient: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var url: String
        public var headers: [String: String]
        public var body: [UInt8]
        /// The request's own limit; `nil` takes the client's default.
        public var timeoutMillis: Int?

        public init(method: String = "GET", url: String, headers: [String: String] = [:], body: [UInt8] = [], timeoutMillis: Int? = nil) {
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
            self.timeoutMillis = timeoutMillis
        }
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: [UInt8]
    }

    public struct TransportError: Error, CustomStringConvertible {
        public let code: Int
        public let description: String
        /// Timeouts and connection failures are worth retrying.
        public var isTransient: Bool {
            [CURLE_OPERATION_TIMEDOUT, CURLE_COULDNT_CONNECT, CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR]
                .map { Int($0.rawValue) }.contains(code)
        }
    }

    /// libcurl's one-time setup, shared with `SMTPClient`.
    static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// The timeout of requests that set none.
    public let defaultTimeoutMillis: Int

    public init(defaultTimeoutMillis: Int = 10_000) {
        _ = Self.globalInit
        self.defaultTimeoutMillis = defaultTimeoutMillis
    }

    /// Performs `request` on the calling thread, which blocks until the answer (plugins' `http_request`, which the C
    /// ABI makes blocking).
    public func perform(_ request: Request) throws -> Response {
        let transfer = try Transfer(request, defaultTimeoutMillis: defaultTimeoutMillis)
        return try transfer.response(curl_easy_perform(transfer.curl))
    }

    /// Performs `request` on the host's curl thread (`CurlTransfers`): the caller waits without a thread of its own.
    public func send(_ request: Request) async throws -> Response {
        let transfer = try Transfer(request, defaultTimeoutMillis: defaultTimeoutMillis)
        return try transfer.response(await CurlTransfers.shared.perform(transfer.curl))
    }
}

/// One prepared request: the easy handle and everything it points at, kept alive until the transfer is over.
private final class Transfer: @unchecked Sendable {
    let curl: UnsafeMutableRawPointer
    let request: HTTPClient.Request
    private let sink = Sink()
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// The body, copied where it stays put while curl reads it.
    private let body: UnsafeMutableRawBufferPointer

    init(_ request: HTTPClient.Request, defaultTimeoutMillis: Int) throws {
        guard let curl = curl_easy_init() else { throw HTTPClient.TransportError(code: -1, description: "curl_easy_init failed") }
        self.curl = curl
        self.request = request
        body = .allocate(byteCount: max(request.body.count, 1), alignment: 1)
        request.body.withUnsafeBytes { body.copyMemory(from: $0) }
        for (name, value) in request.headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }
        if !request.body.isEmpty && request.headers.keys.contains(where: { $0.lowercased() == "expect" }) == false {
            headerList = curl_slist_append(headerList, "Expect:")
        }
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        sb_curl_set_string(curl, CURLOPT_URL, request.url)
        sb_curl_set_string(curl, CURLOPT_CUSTOMREQUEST, request.method)
        sb_curl_set_long(curl, CURLOPT_NOSIGNAL, 1)
        let timeout = request.timeoutMillis ?? defaultTimeoutMillis
        sb_curl_set_long(curl, CURLOPT_TIMEOUT_MS, timeout)
        sb_curl_set_long(curl, CURLOPT_CONNECTTIMEOUT_MS, min(timeout, 5000))
        sb_curl_set_long(curl, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS))
        sb_curl_set_slist(curl, CURLOPT_HTTPHEADER, headerList)
        sb_curl_set_write_function(curl, CURLOPT_WRITEFUNCTION, writeBody)
        sb_curl_set_pointer(curl, CURLOPT_WRITEDATA, sinkPointer)
        sb_curl_set_write_function(curl, CURLOPT_HEADERFUNCTION, writeHeader)
        sb_curl_set_pointer(curl, CURLOPT_HEADERDATA, sinkPointer)
        if request.method == "HEAD" { sb_curl_set_long(curl, CURLOPT_NOBODY, 1) }
        if !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method) {
            sb_curl_set_long(curl, CURLOPT_POSTFIELDSIZE, request.body.count)
            sb_curl_set_pointer(curl, CURLOPT_POSTFIELDS, body.baseAddress)
        }
    }

    deinit {
        curl_slist_free_all(headerList)
        curl_easy_cleanup(curl)
        body.deallocate()
    }

    /// The answer of a transfer that ended with `code`.
    func response(_ code: CURLcode) throws -> HTTPClient.Response {
        guard code == CURLE_OK else {
            throw HTTPClient.TransportError(
                code: Int(code.rawValue), description: "\(request.method) \(request.url): \(String(cString: curl_easy_strerror(code)))")
        }
        var status = 0
        sb_curl_get_long(curl, CURLINFO_RESPONSE_CODE, &status)
        return HTTPClient.Response(status: status, headers: sink.headers, body: sink.body)
    }
}

/// Collects the response while curl runs.
private final class Sink {
    var body: [UInt8] = []
    var headers: [String: String] = [:]
}

private let writeBody: sb_curl_write_fn = { data, size, count, user in
    let length = size * count
    guard let data, let user else { return length }
    Unmanaged<Sink>.fromOpaque(user).takeUnretainedValue().body.append(
        contentsOf: UnsafeRawBufferPointer(start: data, count: length))
    return length
}

private let writeHeader: sb_curl_write_fn = { data, size, count, user in
    let length = size * count
    guard let data, let user else { return length }
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        Unmanaged<Sink>.fromOpaque(user).takeUnretainedValue().headers[name] = value
    }
    return length
}
