import CPluginABI
import Foundation

/// The host services of one plugin instance, bound to its tenant by the host.
///
/// Each method wraps one `sb_host_api` function: it encodes the request as JSON,
/// frees the host's reply buffer through `host->free_bytes`, and turns a
/// non-OK status into a thrown `PluginError`.
public final class Host {
    private let api: UnsafePointer<sb_host_api>
    private let ctx: OpaquePointer?

    /// The size of the ABI 1.0 host table; newer members are checked before each use.
    static let tableSizeV1_0 = 8 + 15 * MemoryLayout<Int>.size

    /// Wraps the host table; fails if the host speaks another major ABI or is older than 1.0.
    init(api: UnsafePointer<sb_host_api>, ctx: OpaquePointer?) throws {
        guard api.pointee.abi_major == SB_ABI_MAJOR, Int(api.pointee.struct_size) >= Self.tableSizeV1_0 else {
            throw PluginError(.unsupported, code: "host_too_old",
                message: "the host offers ABI \(api.pointee.abi_major).\(api.pointee.abi_minor); this plugin needs \(SB_ABI_MAJOR).\(SB_ABI_MINOR)")
        }
        self.api = api
        self.ctx = ctx
    }

    // MARK: Log and clock

    public enum LogLevel: Int32 { case debug = 0, info, warning, error }

    /// Writes one line to the host log, tagged with the tenant and plugin.
    public func log(_ level: LogLevel, _ message: String) {
        var message = message
        message.withUTF8 { api.pointee.log?(ctx, level.rawValue, sb_bytes(ptr: $0.baseAddress, len: $0.count)) }
    }

    /// The host's clock.
    public var now: Date {
        Date(timeIntervalSince1970: Double(api.pointee.now_ms?(ctx) ?? 0) / 1000)
    }

    // MARK: Record store

    /// Stores `value` as JSON under (collection, key) for this tenant and plugin.
    public func put(_ collection: String, _ key: String, _ value: some Encodable) throws {
        let bytes = try JSONCoding.encode(value)
        try withBytes(collection) { c in
            try withBytes(key) { k in
                try bytes.withUnsafeBufferPointer { v in
                    try check(api.pointee.store_put(ctx, c, k, sb_bytes(ptr: v.baseAddress, len: v.count)), nil)
                }
            }
        }
    }

    /// The record under (collection, key), or `nil` when there is none.
    public func get<T: Decodable>(_ collection: String, _ key: String, as type: T.Type = T.self) throws -> T? {
        var out = sb_owned_bytes()
        let status = withBytes(collection) { c in withBytes(key) { k in api.pointee.store_get(ctx, c, k, &out) } }
        let bytes = take(&out)
        if status == SB_NOT_FOUND { return nil }
        try check(status, bytes)
        return try JSONCoding.decode(T.self, from: bytes)
    }

    /// One page of a collection's records.
    public struct RecordPage<T: Decodable>: Decodable {
        public struct Record: Decodable {
            public var key: String
            public var value: T
            public var updatedAt: Int64
            enum CodingKeys: String, CodingKey { case key, value, updatedAt = "updated_at" }
        }
        public var records: [Record]
        public var next: String?
    }

    /// Records of a collection, in key order, optionally filtered by key prefix or top-level field values.
    public func query<T: Decodable>(
        _ collection: String, as type: T.Type = T.self, prefix: String? = nil, where filter: [String: JSON] = [:],
        after: String? = nil, limit: Int = 100
    ) throws -> RecordPage<T> {
        var request: [String: JSON] = ["limit": .number(Double(limit))]
        if let prefix { request["prefix"] = .string(prefix) }
        if let after { request["after"] = .string(after) }
        if !filter.isEmpty { request["where"] = .object(filter) }
        let body = try JSONCoding.encode(request)
        var out = sb_owned_bytes()
        let status = withBytes(collection) { c in
            body.withUnsafeBufferPointer { q in
                api.pointee.store_query(ctx, c, sb_bytes(ptr: q.baseAddress, len: q.count), &out)
            }
        }
        let bytes = take(&out)
        try check(status, bytes)
        return try JSONCoding.decode(RecordPage<T>.self, from: bytes)
    }

    /// Deletes the record under (collection, key); deleting a missing key is not an error.
    public func delete(_ collection: String, _ key: String) throws {
        let status = withBytes(collection) { c in withBytes(key) { k in api.pointee.store_delete(ctx, c, k) } }
        if status == SB_NOT_FOUND { return }
        try check(status, nil)
    }

    // MARK: Contacts, jobs, messages, events, HTTP (JSON in, JSON out)

    /// A contact by `{"id"}`, `{"phone"}` or `{"email"}`, with its attributes and labels.
    public func contact(_ selector: [String: String]) throws -> JSON {
        try call(api.pointee.contact_get, selector)
    }

    /// Updates a contact: `{"id", "attributes"?, "add_labels"?, "remove_labels"?}`.
    @discardableResult
    public func updateContact(_ request: JSON) throws -> JSON {
        try call(api.pointee.contact_update, request)
    }

    /// Schedules a durable job for this plugin; a pending `uniqueKey` returns the existing job.
    @discardableResult
    public func scheduleJob(kind: String, runAt: Date, payload: JSON = .null, uniqueKey: String? = nil) throws -> JSON {
        var job: [String: JSON] = [
            "kind": .string(kind),
            "run_at": .number((runAt.timeIntervalSince1970 * 1000).rounded()),
            "payload": payload,
        ]
        if let uniqueKey { job["unique_key"] = .string(uniqueKey) }
        return try call(api.pointee.schedule_job, JSON.object(job))
    }

    /// Cancels pending jobs by `{"id"}` or `{"unique_key"}`; returns how many were cancelled.
    @discardableResult
    public func cancelJobs(_ selector: [String: String]) throws -> Int {
        let reply = try call(api.pointee.cancel_job, selector)
        return Int(reply["cancelled"]?.doubleValue ?? 0)
    }

    /// This plugin's jobs, filtered by `{"status"?, "kind"?}`.
    public func listJobs(_ filter: [String: String] = [:]) throws -> JSON {
        try call(api.pointee.list_jobs, filter)
    }

    /// Sends a message through the host's outbound policy.
    @discardableResult
    public func sendMessage(_ message: JSON) throws -> JSON {
        try call(api.pointee.send_message, message)
    }

    /// Records an event of this plugin's for the plugins that subscribe to it (never this one). With a contact, they
    /// get it in that contact's order among the host's events.
    public func emit(type: String, data: JSON = .null, contactID: String? = nil, conversationID: String? = nil) throws {
        var event: [String: JSON] = ["type": .string(type), "data": data]
        if let contactID { event["contact_id"] = .string(contactID) }
        if let conversationID { event["conversation_id"] = .string(conversationID) }
        let body = try JSONCoding.encode(JSON.object(event))
        let status = body.withUnsafeBufferPointer { api.pointee.emit_event(ctx, sb_bytes(ptr: $0.baseAddress, len: $0.count)) }
        try check(status, nil)
    }

    /// An outbound HTTP request through the host's egress allow-list.
    public func httpRequest(_ request: JSON) throws -> JSON {
        try call(api.pointee.http_request, request)
    }

    /// Calls a named host service (ABI 1.1), e.g. `calendar.events` or `conversations.update`;
    /// docs/plugin-abi.md lists the methods. On a 1.0 host this throws `unsupported`.
    @discardableResult
    public func call(_ method: String, _ request: some Encodable) throws -> JSON {
        let needed = (MemoryLayout<sb_host_api>.offset(of: \sb_host_api.call) ?? Int.max) + MemoryLayout<Int>.size
        guard Int(api.pointee.struct_size) >= needed, let function = api.pointee.call else {
            throw PluginError.unsupported("the host (ABI \(api.pointee.abi_major).\(api.pointee.abi_minor)) has no host services; it needs 1.1")
        }
        let body = try JSONCoding.encode(request)
        var out = sb_owned_bytes()
        let status = withBytes(method) { m in
            body.withUnsafeBufferPointer { function(ctx, m, sb_bytes(ptr: $0.baseAddress, len: $0.count), &out) }
        }
        let bytes = take(&out)
        try check(status, bytes)
        return bytes.isEmpty ? .null : try JSONCoding.decode(JSON.self, from: bytes)
    }

    // MARK: Plumbing

    private typealias JSONCall = @convention(c) (OpaquePointer?, sb_bytes, UnsafeMutablePointer<sb_owned_bytes>?) -> sb_status

    private func call(_ function: JSONCall?, _ request: some Encodable) throws -> JSON {
        guard let function else { throw PluginError.unsupported("the host does not offer this call") }
        let body = try JSONCoding.encode(request)
        var out = sb_owned_bytes()
        let status = body.withUnsafeBufferPointer { function(ctx, sb_bytes(ptr: $0.baseAddress, len: $0.count), &out) }
        let bytes = take(&out)
        try check(status, bytes)
        return bytes.isEmpty ? .null : try JSONCoding.decode(JSON.self, from: bytes)
    }

    /// Copies a host-owned buffer and frees it through the host.
    private func take(_ buffer: inout sb_owned_bytes) -> [UInt8] {
        defer {
            api.pointee.free_bytes?(buffer)
            buffer = sb_owned_bytes()
        }
        guard let ptr = buffer.ptr, buffer.len > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: ptr, count: buffer.len))
    }

    private func check(_ status: sb_status, _ errorBody: [UInt8]?) throws {
        guard status != SB_OK else { return }
        var error = (errorBody.flatMap { try? JSONCoding.decode(PluginError.self, from: $0) })
            ?? PluginError(.error, code: "host_error", message: "host call failed with status \(status)")
        error.status = PluginError.Status(rawValue: status) ?? .error
        throw error
    }

    private func withBytes<R>(_ string: String, _ body: (sb_bytes) throws -> R) rethrows -> R {
        var string = string
        return try string.withUTF8 { try body(sb_bytes(ptr: $0.baseAddress, len: $0.count)) }
    }
}
