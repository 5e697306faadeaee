import CPluginABI
import SwitchboardJSON

/// The descriptor functions the host calls on a running instance, named as in `plugin_abi.h`.
public enum PluginEntry: String, Sendable, CaseIterable {
    case handleEvent = "handle_event"
    case handleHTTP = "handle_http"
    case runJob = "run_job"
    case queryAnalytics = "query_analytics"
}

/// The raw C calls into a plugin library, shared by the inline instance and the worker process.
extension LoadedPlugin {
    typealias EntryFunction = @convention(c) (OpaquePointer?, sb_bytes, UnsafeMutablePointer<sb_owned_bytes>?) -> sb_status

    private func function(_ entry: PluginEntry) -> EntryFunction? {
        let d = descriptor.pointee
        switch entry {
        case .handleEvent: return d.handle_event
        case .handleHTTP: return d.handle_http
        case .runJob: return d.run_job
        case .queryAnalytics: return d.query_analytics
        }
    }

    /// Calls `entry` on `instance` with JSON bytes; the reply is copied and freed through the plugin's `free_bytes`.
    func invoke(_ entry: PluginEntry, on instance: OpaquePointer, _ input: [UInt8]) -> PluginInstance.CallResult {
        guard let function = function(entry) else { return .unsupported }
        var out = sb_owned_bytes()
        let status = input.withUnsafeBufferPointer { function(instance, sb_bytes(ptr: $0.baseAddress, len: $0.count), &out) }
        return PluginInstance.CallResult(status: status, body: take(&out))
    }

    /// What `create_instance` gave: the instance, or the status and error body of its refusal.
    enum Creation {
        case created(OpaquePointer)
        case refused(PluginInstance.CallResult)
    }

    /// Calls `create_instance` with a host table and context.
    func createInstance(host: UnsafePointer<sb_host_api>, context: OpaquePointer, tenant: [UInt8], config: [UInt8]) -> Creation {
        var instance: OpaquePointer?
        var error = sb_owned_bytes()
        let status = tenant.withUnsafeBufferPointer { t in
            config.withUnsafeBufferPointer { c in
                descriptor.pointee.create_instance(
                    host, context, sb_bytes(ptr: t.baseAddress, len: t.count), sb_bytes(ptr: c.baseAddress, len: c.count),
                    &instance, &error)
            }
        }
        let body = take(&error)
        guard status == SB_OK, let instance else {
            return .refused(PluginInstance.CallResult(status: status == SB_OK ? SB_ERROR : status, body: body))
        }
        return .created(instance)
    }

    func destroyInstance(_ instance: OpaquePointer) {
        descriptor.pointee.destroy_instance(instance)
    }

    /// Copies a plugin-owned buffer and frees it through the plugin's own `free_bytes`.
    private func take(_ buffer: inout sb_owned_bytes) -> [UInt8] {
        defer {
            if buffer.ptr != nil { descriptor.pointee.free_bytes(buffer) }
            buffer = sb_owned_bytes()
        }
        guard let ptr = buffer.ptr, buffer.len > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: ptr, count: buffer.len))
    }
}
