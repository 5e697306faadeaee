import CCurl
import Foundation

/// Outbound HTTP through libcurl. Calls block the calling thread; call them off the event loop.
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

    public func perform(_ request: Request) throws -> Response {
        guard let curl = curl_easy_init() else { throw TransportError(code: -1, description: "curl_easy_init failed") }
        defer { curl_easy_cleanup(curl) }
        let sink = Sink()
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for (name, value) in request.headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }
        if !request.body.isEmpty && request.headers.keys.contains(where: { $0.lowercased() == "expect" }) == false {
            headerList = curl_slist_append(headerList, "Expect:")
        }

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

        let code: CURLcode = request.body.withUnsafeBufferPointer { body in
            if !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method) {
                sb_curl_set_long(curl, CURLOPT_POSTFIELDSIZE, body.count)
                sb_curl_set_pointer(curl, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: body.baseAddress ?? UnsafePointer(bitPattern: 1)!))
            }
            return curl_easy_perform(curl)
        }
        guard code == CURLE_OK else {
            throw TransportError(code: Int(code.rawValue), description: "\(request.method) \(request.url): \(String(cString: curl_easy_strerror(code)))")
        }
        var status = 0
        sb_curl_get_long(curl, CURLINFO_RESPONSE_CODE, &status)
        return Response(status: status, headers: sink.headers, body: sink.body)
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
