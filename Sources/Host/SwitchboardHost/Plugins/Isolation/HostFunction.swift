import CPluginABI

/// The `sb_host_api` functions a plugin worker forwards to the host, named as in `plugin_abi.h`.
/// A forwarded call's arguments are its `sb_bytes` in order (`log` first takes the level in decimal).
enum HostFunction: String, Sendable {
    case log
    case nowMs = "now_ms"
    case storePut = "store_put"
    case storeGet = "store_get"
    case storeQuery = "store_query"
    case storeDelete = "store_delete"
    case contactGet = "contact_get"
    case contactUpdate = "contact_update"
    case scheduleJob = "schedule_job"
    case cancelJob = "cancel_job"
    case listJobs = "list_jobs"
    case sendMessage = "send_message"
    case emitEvent = "emit_event"
    case httpRequest = "http_request"
    case call

    /// How many arguments a forwarded call carries.
    var arity: Int {
        switch self {
        case .nowMs: 0
        case .contactGet, .contactUpdate, .scheduleJob, .cancelJob, .listJobs, .sendMessage, .emitEvent, .httpRequest: 1
        case .log, .storeGet, .storeQuery, .storeDelete, .call: 2
        case .storePut: 3
        }
    }

    /// Runs this function of the host's own table for a worker's instance: the same code, and the same tenant
    /// binding, an inline instance reaches. Returns the status and the reply (or error) body.
    func perform(_ arguments: [[UInt8]], context: HostContext) -> (status: Int32, body: [UInt8]) {
        guard arguments.count == arity else { return (SB_BAD_ARGUMENT, []) }
        let table = HostAPITable.shared.pointee
        let ctx = OpaquePointer(Unmanaged.passUnretained(context).toOpaque())
        var out = sb_owned_bytes()
        let status: Int32 = lending(arguments[...]) { a in
            switch self {
            case .log:
                table.log?(ctx, Int32(arguments[0].decimal ?? Int64(SB_LOG_INFO)), a[1])
                return SB_OK
            case .nowMs:
                out = hostOwned([UInt8](decimal: table.now_ms?(ctx) ?? 0))
                return SB_OK
            case .storePut: return table.store_put?(ctx, a[0], a[1], a[2]) ?? SB_UNSUPPORTED
            case .storeGet: return table.store_get?(ctx, a[0], a[1], &out) ?? SB_UNSUPPORTED
            case .storeQuery: return table.store_query?(ctx, a[0], a[1], &out) ?? SB_UNSUPPORTED
            case .storeDelete: return table.store_delete?(ctx, a[0], a[1]) ?? SB_UNSUPPORTED
            case .contactGet: return table.contact_get?(ctx, a[0], &out) ?? SB_UNSUPPORTED
            case .contactUpdate: return table.contact_update?(ctx, a[0], &out) ?? SB_UNSUPPORTED
            case .scheduleJob: return table.schedule_job?(ctx, a[0], &out) ?? SB_UNSUPPORTED
            case .cancelJob: return table.cancel_job?(ctx, a[0], &out) ?? SB_UNSUPPORTED
            case .listJobs: return table.list_jobs?(ctx, a[0], &out) ?? SB_UNSUPPORTED
            case .sendMessage: return table.send_message?(ctx, a[0], &out) ?? SB_UNSUPPORTED
            case .emitEvent: return table.emit_event?(ctx, a[0]) ?? SB_UNSUPPORTED
            case .httpRequest: return table.http_request?(ctx, a[0], &out) ?? SB_UNSUPPORTED
            case .call: return table.call?(ctx, a[0], a[1], &out) ?? SB_UNSUPPORTED
            }
        }
        defer { table.free_bytes?(out) }
        guard let ptr = out.ptr, out.len > 0 else { return (status, []) }
        return (status, Array(UnsafeBufferPointer(start: ptr, count: out.len)))
    }
}

/// Lends `fields` as `sb_bytes` for the duration of `body`.
func lending<R>(_ fields: ArraySlice<[UInt8]>, _ lent: [sb_bytes] = [], _ body: ([sb_bytes]) -> R) -> R {
    guard let first = fields.first else { return body(lent) }
    return first.withUnsafeBufferPointer { buffer in
        lending(fields.dropFirst(), lent + [sb_bytes(ptr: buffer.baseAddress, len: buffer.count)], body)
    }
}

extension sb_bytes {
    /// A copy of the borrowed bytes.
    var copied: [UInt8] {
        guard let ptr, len > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: ptr, count: len))
    }
}
