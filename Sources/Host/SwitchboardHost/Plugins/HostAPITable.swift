import CPluginABI
import Foundation
import Logging
import SwitchboardJSON

/// The one `sb_host_api` table the host hands to every plugin instance. The functions
/// are shared; the `sb_host_ctx` each instance receives binds them to its tenant.
enum HostAPITable {
    nonisolated(unsafe) static let shared: UnsafePointer<sb_host_api> = {
        let table = UnsafeMutablePointer<sb_host_api>.allocate(capacity: 1)
        table.initialize(to: sb_host_api(
            struct_size: UInt32(MemoryLayout<sb_host_api>.size),
            abi_major: UInt16(SB_ABI_MAJOR), abi_minor: UInt16(SB_ABI_MINOR),
            log: hostLog, now_ms: hostNow,
            store_put: storePut, store_get: storeGet, store_query: storeQuery, store_delete: storeDelete,
            contact_get: contactGet, contact_update: contactUpdate,
            schedule_job: scheduleJob, cancel_job: cancelJob, list_jobs: listJobs,
            send_message: sendMessage, emit_event: emitEvent, http_request: httpRequest,
            free_bytes: hostFree, call: hostCall))
        return UnsafePointer(table)
    }()
}

/// An error a host API call reports to the plugin as a status plus `{code, message}`.
struct HostCallError: Error {
    let status: Int32
    let code: String
    let message: String

    static func badArgument(_ message: String) -> HostCallError { HostCallError(status: SB_BAD_ARGUMENT, code: "bad_argument", message: message) }
    static func notFound(_ message: String) -> HostCallError { HostCallError(status: SB_NOT_FOUND, code: "not_found", message: message) }
    static func denied(_ code: String, _ message: String) -> HostCallError { HostCallError(status: SB_DENIED, code: code, message: message) }
}

// MARK: Marshalling

private func context(_ ctx: OpaquePointer?) -> HostContext? {
    ctx.map { Unmanaged<HostContext>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
}

private func string(_ bytes: sb_bytes) -> String {
    guard let ptr = bytes.ptr, bytes.len > 0 else { return "" }
    return String(decoding: UnsafeBufferPointer(start: ptr, count: bytes.len), as: UTF8.self)
}

private func json(_ bytes: sb_bytes) throws -> JSON {
    guard let ptr = bytes.ptr, bytes.len > 0 else { return .object([:]) }
    do {
        return try JSON.parse(bytes: Array(UnsafeBufferPointer(start: ptr, count: bytes.len)))
    } catch {
        throw HostCallError.badArgument("the request is not valid JSON")
    }
}

/// Copies bytes into a `malloc`ed buffer that the plugin returns through `free_bytes`.
func hostOwned(_ bytes: [UInt8]) -> sb_owned_bytes {
    guard !bytes.isEmpty, let ptr = malloc(bytes.count)?.assumingMemoryBound(to: UInt8.self) else { return sb_owned_bytes() }
    bytes.withUnsafeBufferPointer { ptr.initialize(from: $0.baseAddress!, count: bytes.count) }
    return sb_owned_bytes(ptr: ptr, len: bytes.count)
}

/// Runs one host call: resolves the context, writes the JSON result or error body, and maps errors to statuses.
private func serve(
    _ ctx: OpaquePointer?, _ out: UnsafeMutablePointer<sb_owned_bytes>?, _ body: (HostContext) throws -> JSON?
) -> sb_status {
    out?.pointee = sb_owned_bytes()
    guard let host = context(ctx) else { return SB_BAD_ARGUMENT }
    do {
        if let result = try body(host) { out?.pointee = hostOwned(try result.serializedBytes()) }
        return SB_OK
    } catch let error as HostCallError {
        out?.pointee = hostOwned((try? JSON.object(["code": .string(error.code), "message": .string(error.message)]).serializedBytes()) ?? [])
        return error.status
    } catch {
        host.logger.error("host call failed: \(error)")
        out?.pointee = hostOwned((try? JSON.object(["code": .string("host_error"), "message": .string("\(error)")]).serializedBytes()) ?? [])
        return SB_ERROR
    }
}

private func requireString(_ request: JSON, _ key: String) throws -> String {
    guard let value = request[key]?.stringValue, !value.isEmpty else { throw HostCallError.badArgument("\"\(key)\" is required") }
    return value
}

private func strings(_ value: JSON?) -> [String] {
    value?.arrayValue?.compactMap(\.stringValue) ?? []
}

// MARK: Log and clock

private let hostLog: @convention(c) (OpaquePointer?, Int32, sb_bytes) -> Void = { ctx, level, message in
    guard let host = context(ctx) else { return }
    let text = Logger.Message(stringLiteral: string(message))
    switch level {
    case SB_LOG_DEBUG: host.logger.debug(text)
    case SB_LOG_WARNING: host.logger.warning(text)
    case SB_LOG_ERROR: host.logger.error(text)
    default: host.logger.info(text)
    }
}

private let hostNow: @convention(c) (OpaquePointer?) -> Int64 = { _ in Clock.nowMillis() }

private let hostFree: @convention(c) (sb_owned_bytes) -> Void = { buffer in free(buffer.ptr) }

private let hostCall: @convention(c) (OpaquePointer?, sb_bytes, sb_bytes, UnsafeMutablePointer<sb_owned_bytes>?) -> sb_status = {
    ctx, method, request, out in
    serve(ctx, out) { host in
        let name = string(method)
        guard let handler = HostCalls.methods[name] else {
            throw HostCallError(status: SB_UNSUPPORTED, code: "unknown_method", message: "the host has no method \(name)")
        }
        return try handler(host, try json(request))
    }
}

// MARK: Record store

private func validName(_ bytes: sb_bytes, _ what: String) throws -> String {
    let name = string(bytes)
    guard !name.isEmpty, name.utf8.count <= 200 else { throw HostCallError.badArgument("\(what) must be 1 to 200 bytes") }
    return name
}

private let storePut: @convention(c) (OpaquePointer?, sb_bytes, sb_bytes, sb_bytes) -> sb_status = { ctx, collection, key, value in
    serve(ctx, nil) { host in
        let collection = try validName(collection, "collection"), key = try validName(key, "key")
        // Validate and normalise: only JSON goes into the store.
        let document = try json(value)
        try host.services.records.put(host.recordScope, collection: collection, key: key, value: try document.serialized())
        return nil
    }
}

private let storeGet: @convention(c) (OpaquePointer?, sb_bytes, sb_bytes, UnsafeMutablePointer<sb_owned_bytes>?) -> sb_status = {
    ctx, collection, key, out in
    serve(ctx, out) { host in
        let collection = try validName(collection, "collection"), key = try validName(key, "key")
        guard let value = try host.services.records.get(host.recordScope, collection: collection, key: key) else {
            throw HostCallError.notFound("no record \(collection)/\(key)")
        }
        return try JSON.parse(value)
    }
}

private let storeQuery: @convention(c) (OpaquePointer?, sb_bytes, sb_bytes, UnsafeMutablePointer<sb_owned_bytes>?) -> sb_status = {
    ctx, collection, query, out in
    serve(ctx, out) { host in
        let collection = try validName(collection, "collection")
        let request: RecordStore.Query
        do {
            request = try json(query).decode(as: RecordStore.Query.self)
        } catch {
            throw HostCallError.badArgument("query takes {prefix?, after?, limit?, where?}")
        }
        return try JSON(encoding: try host.services.records.query(host.recordScope, collection: collection, request))
    }
}

private let storeDelete: @convention(c) (OpaquePointer?, sb_bytes, sb_bytes) -> sb_status = { ctx, collection, key in
    serve(ctx, nil) { host in
        let collection = try validName(collection, "collection"), key = try validName(key, "key")
        guard try host.services.records.delete(host.recordScope, collection: collection, key: key) else {
            throw HostCallError.notFound("no record \(collection)/\(key)")
        }
        return nil
    }
}

// MARK: Contacts

private func selector(_ request: JSON) throws -> ContactStore.Selector {
    if let id = request["id"]?.stringValue { return .id(id) }
    if let phone = request["phone"]?.stringValue { return .phone(phone) }
    if let email = request["email"]?.stringValue { return .email(email) }
    throw HostCallError.badArgument("name the contact by id, phone or email")
}

private let contactGet: @convention(c) (OpaquePointer?, sb_bytes, UnsafeMutablePointer<sb_owned_bytes>?) -> sb_status = {
    ctx, request, out in
    serve(ctx, out) { host in
        guard let contact = try host.services.contacts.find(tenantID: host.tenantID, try selector(try json(request))) else {
            throw HostCallError.notFound("no such contact")
        }
        return try JSON(encoding: contact)
    }
}

private let contactUpdate: @convention(c) (OpaquePointer?, sb_bytes, UnsafeMutablePointer<sb_owned_bytes>?) -> sb_status = {
    ctx, request, out in
    serve(ctx, out) { host in
        let request = try json(request)
        let id = try requireString(request, "id")
        guard let contact = try host.services.contacts.update(
            tenantID: host.tenantID, id: id, attributes: request["attributes"]?.objectValue ?? [:],
            addLabels: strings(request["add_labels"]), removeLabels: strings(request["remove_labels"]), actor: host.actor)
        else { throw HostCallError.notFound("no contact \(id)") }
        // The rules of the change run before the plugin reads the contact back, as for a change through the REST API.
        guard let tenant = host.tenant() else { return try JSON(encoding: contact) }
        tenant.automation.settle(contactID: id, tenant: tenant)
        return try JSON(encoding: host.services.contacts.find(tenantID: host.tenantID, .id(id)) ?? contact)
    }
}

// MARK: Jobs

private let scheduleJob: @convention(c) (OpaquePointer?, sb_bytes, UnsafeMutablePointer<sb_owned_bytes>?) -> sb_status = {
    ctx, request, out in
    serve(ctx, out) { host in
        let request = try json(request)
        let kind = try requireString(request, "kind")
        guard kind != EventLog.deliverKind else { throw HostCallError.badArgument("\(kind) is the host's job kind; name yours otherwise") }
        guard let runAt = request["run_at"]?.doubleValue else { throw HostCallError.badArgument("\"run_at\" (epoch ms) is required") }
        let maxAttempts = Int(request["max_attempts"]?.doubleValue ?? 5)
        guard (1...100).contains(maxAttempts) else { throw HostCallError.badArgument("max_attempts must be 1 to 100") }
        let scheduled = try host.services.jobs.schedule(
            tenantID: host.tenantID, pluginID: host.pluginID, kind: kind, runAt: Int64(runAt),
            payload: request["payload"] ?? .null, uniqueKey: request["unique_key"]?.stringValue.map { host.pluginUniqueKey($0) },
            maxAttempts: maxAttempts)
        return try JSON(encoding: scheduled)
    }
}

private let cancelJob: @convention(c) (OpaquePointer?, sb_bytes, UnsafeMutablePointer<sb_owned_bytes>?) -> sb_status = {
    ctx, request, out in
    serve(ctx, out) { host in
        let request = try json(request)
        let id = request["id"]?.stringValue, uniqueKey = request["unique_key"]?.stringValue.map { host.pluginUniqueKey($0) }
        guard id != nil || uniqueKey != nil else { throw HostCallError.badArgument("name the job by id or unique_key") }
        let count = try host.services.jobs.cancel(tenantID: host.tenantID, pluginID: host.pluginID, id: id, uniqueKey: uniqueKey)
        return .object(["cancelled": .number(Double(count))])
    }
}

private let listJobs: @convention(c) (OpaquePointer?, sb_bytes, UnsafeMutablePointer<sb_owned_bytes>?) -> sb_status = {
    ctx, request, out in
    serve(ctx, out) { host in
        let request = try json(request)
        let jobs = try host.services.jobs.list(
            tenantID: host.tenantID, pluginID: host.pluginID, status: request["status"]?.stringValue,
            kind: request["kind"]?.stringValue)
        return .object(["jobs": try JSON(encoding: jobs)])
    }
}

// MARK: Messages, events, HTTP

private let sendMessage: @convention(c) (OpaquePointer?, sb_bytes, UnsafeMutablePointer<sb_owned_bytes>?) -> sb_status = {
    ctx, request, out in
    serve(ctx, out) { host in
        let message: Outbound.Request
        do {
            message = try json(request).decode(as: Outbound.Request.self)
        } catch {
            throw HostCallError.badArgument("a message needs contact_id and type (session_text, template or interactive)")
        }
        guard let tenant = host.tenant() else { throw HostCallError.notFound("the tenant is no longer running") }
        let result: Outbound.Result
        do {
            result = try Outbound(services: host.services).send(message, tenant: tenant, actor: host.actor)
        } catch let invalid as Outbound.Invalid {
            throw HostCallError.badArgument("\(invalid.field): \(invalid.description)")
        }
        if result.status == "blocked" {
            throw HostCallError(status: SB_DENIED, code: result.reason ?? "policy_blocked", message: result.detail ?? "the policy blocked the send")
        }
        return try JSON(encoding: result)
    }
}

/// `{"type", "data"?, "contact_id"?, "conversation_id"?}`: recorded like the host's own events, so it reaches the
/// subscribed plugins durably, after the emitting call returns; with a contact, in that contact's order.
private let emitEvent: @convention(c) (OpaquePointer?, sb_bytes) -> sb_status = { ctx, request in
    serve(ctx, nil) { host in
        let request = try json(request)
        let type = try requireString(request, "type")
        guard EventSubscription.isValid(type), type != "*", !type.hasSuffix(".*") else {
            throw HostCallError.badArgument("an event type is dot-separated words of a-z, 0-9, _ and -")
        }
        guard !EventCatalogue.hostTypes.contains(type) else { throw HostCallError.badArgument("\(type) is a host event; plugins emit their own") }
        try host.services.database.transaction { connection in
            try host.services.events.record(
                EventDraft(
                    type, data: request["data"] ?? .null, contactID: request["contact_id"]?.stringValue,
                    conversationID: request["conversation_id"]?.stringValue, source: host.pluginID),
                tenantID: host.tenantID, actor: host.actor, in: connection)
        }
        return nil
    }
}

private let httpRequest: @convention(c) (OpaquePointer?, sb_bytes, UnsafeMutablePointer<sb_owned_bytes>?) -> sb_status = {
    ctx, request, out in
    serve(ctx, out) { host in
        let request = try json(request)
        let url = try requireString(request, "url")
        guard host.egress.permits(url) else {
            host.logger.warning("egress denied", metadata: ["url": "\(url)"])
            throw HostCallError.denied("egress_denied", "\(url) is not in the tenant's egress allow-list")
        }
        var body: [UInt8] = []
        if let text = request["body"]?.stringValue { body = Array(text.utf8) }
        if let encoded = request["body_base64"]?.stringValue {
            guard let data = Data(base64Encoded: encoded) else { throw HostCallError.badArgument("body_base64 is not base64") }
            body = Array(data)
        }
        var headers: [String: String] = [:]
        for (name, value) in request["headers"]?.objectValue ?? [:] { headers[name] = value.stringValue ?? "" }
        // No longer than the plugin's call may take: a slow server cannot hold the instance past its budget.
        let timeout = Int(request["timeout_ms"]?.doubleValue ?? Double(host.services.http.defaultTimeoutMillis))
        let ceiling = min(60_000, Int(host.callBudget.inMilliseconds))
        do {
            let response = try host.services.http.perform(HTTPClient.Request(
                method: request["method"]?.stringValue?.uppercased() ?? "GET", url: url, headers: headers, body: body,
                timeoutMillis: min(max(timeout, 100), max(ceiling, 100))))
            return .object([
                "status": .number(Double(response.status)),
                "headers": .object(response.headers.mapValues(JSON.string)),
                "body_base64": .string(Data(response.body).base64EncodedString()),
            ])
        } catch let error as HTTPClient.TransportError {
            throw HostCallError(status: error.isTransient ? SB_RETRY : SB_ERROR, code: "transport_error", message: error.description)
        }
    }
}
