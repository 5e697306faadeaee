import CPluginABI
import Foundation

/// Builds the `sb_plugin_descriptor` for a Swift plugin type. Call it from the
/// plugin's exported entry symbol; it is the plugin's one line of glue:
///
/// ```swift
/// @_cdecl("switchboard_plugin_entry_v1")
/// public func entry(_ major: UInt16, _ minor: UInt16) -> UnsafeRawPointer? { export(MyPlugin.self, hostMajor: major, hostMinor: minor) }
/// ```
///
/// It declines (returns nil) a host of another major, and a host older than 1.3 when the plugin needs a later
/// minor (`PluginInfo.minHostMinor`): such a host cannot read that requirement. A 1.3 or later host reads it and
/// refuses the plugin with the reason.
///
/// Each plugin library links its own copy of this SDK (the libraries are
/// loaded `RTLD_LOCAL`), so the registered type below is per library.
public func export<P: Plugin>(_ type: P.Type, hostMajor: UInt16, hostMinor: UInt16) -> UnsafeRawPointer? {
    guard hostMajor == SB_ABI_MAJOR else { return nil }
    if hostMinor < 3, type.info.minHostMinor > hostMinor { return nil }
    return ExportedPlugin.descriptor(for: type)
}

/// The one plugin type this library exports, and its descriptor.
enum ExportedPlugin {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var pluginType: (any Plugin.Type)?
    nonisolated(unsafe) private static var cached: UnsafeMutablePointer<sb_plugin_descriptor>?

    static func descriptor(for type: any Plugin.Type) -> UnsafeRawPointer {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return UnsafeRawPointer(cached) }
        pluginType = type
        let info = type.info
        let routes = (try? JSONCoding.encode(info.routes)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        let subscriptions = info.subscriptions.flatMap { try? JSON.array($0.map(JSON.string)).serialized() }
        let descriptor = UnsafeMutablePointer<sb_plugin_descriptor>.allocate(capacity: 1)
        descriptor.initialize(to: sb_plugin_descriptor(
            struct_size: UInt32(MemoryLayout<sb_plugin_descriptor>.size),
            abi_major: UInt16(SB_ABI_MAJOR),
            abi_minor: UInt16(SB_ABI_MINOR),
            plugin_id: UnsafePointer(strdup(info.id)),
            plugin_version: UnsafePointer(strdup(info.version)),
            capabilities: info.capabilities.rawValue,
            routes_json: UnsafePointer(strdup(routes)),
            create_instance: createInstance,
            handle_event: handleEvent,
            handle_http: handleHTTP,
            run_job: runJob,
            query_analytics: queryAnalytics,
            destroy_instance: destroyInstance,
            free_bytes: freeBytes,
            subscriptions_json: subscriptions.map { UnsafePointer(strdup($0)) },
            min_host_minor: info.minHostMinor
        ))
        cached = descriptor
        return UnsafeRawPointer(descriptor)
    }

    static var type: (any Plugin.Type)? {
        lock.lock()
        defer { lock.unlock() }
        return pluginType
    }
}

/// The boxed instance behind an `sb_instance *`.
private final class InstanceBox {
    let plugin: any Plugin
    init(plugin: any Plugin) { self.plugin = plugin }
}

private func box(_ instance: OpaquePointer?) -> InstanceBox? {
    guard let instance else { return nil }
    return Unmanaged<InstanceBox>.fromOpaque(UnsafeRawPointer(instance)).takeUnretainedValue()
}

/// Copies bytes into a `malloc`ed buffer the host frees through `freeBytes`.
private func owned(_ bytes: [UInt8]) -> sb_owned_bytes {
    guard !bytes.isEmpty, let ptr = malloc(bytes.count)?.assumingMemoryBound(to: UInt8.self) else {
        return sb_owned_bytes()
    }
    bytes.withUnsafeBufferPointer { ptr.initialize(from: $0.baseAddress!, count: bytes.count) }
    return sb_owned_bytes(ptr: ptr, len: bytes.count)
}

private func borrowed(_ bytes: sb_bytes) -> [UInt8] {
    guard let ptr = bytes.ptr, bytes.len > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: ptr, count: bytes.len))
}

/// Runs `body`, turning its result into an owned JSON buffer and any error into a status plus error body.
/// This is the boundary: no Swift error escapes it.
private func guarded(_ out: UnsafeMutablePointer<sb_owned_bytes>?, _ body: () throws -> [UInt8]) -> sb_status {
    do {
        let bytes = try body()
        out?.pointee = owned(bytes)
        return SB_OK
    } catch let error as PluginError {
        out?.pointee = owned((try? JSONCoding.encode(error)) ?? [])
        return error.status.rawValue
    } catch {
        let wrapped = PluginError(.error, code: "plugin_error", message: "\(error)")
        out?.pointee = owned((try? JSONCoding.encode(wrapped)) ?? [])
        return SB_ERROR
    }
}

private let createInstance: @convention(c) (
    UnsafePointer<sb_host_api>?, OpaquePointer?, sb_bytes, sb_bytes,
    UnsafeMutablePointer<OpaquePointer?>?, UnsafeMutablePointer<sb_owned_bytes>?
) -> sb_status = { api, ctx, tenant, config, outInstance, outError in
    guard let api, let outInstance, let type = ExportedPlugin.type else { return SB_BAD_ARGUMENT }
    return guarded(outError) {
        let host = try Host(api: api, ctx: ctx)
        let tenantJSON = tenant.len == 0 ? JSON.null : try JSONCoding.decode(JSON.self, from: borrowed(tenant))
        let configJSON = config.len == 0 ? JSON.null : try JSONCoding.decode(JSON.self, from: borrowed(config))
        let plugin = try type.init(context: PluginContext(host: host, tenant: tenantJSON, config: configJSON))
        outInstance.pointee = OpaquePointer(Unmanaged.passRetained(InstanceBox(plugin: plugin)).toOpaque())
        return []
    }
}

private let handleEvent: @convention(c) (OpaquePointer?, sb_bytes, UnsafeMutablePointer<sb_owned_bytes>?) -> sb_status = {
    instance, event, out in
    guard let box = box(instance) else { return SB_BAD_ARGUMENT }
    return guarded(out) {
        let decoded = try JSONCoding.decode(Event.self, from: borrowed(event))
        guard let reply = try box.plugin.handleEvent(decoded) else { return [] }
        return try JSONCoding.encode(reply)
    }
}

private let handleHTTP: @convention(c) (OpaquePointer?, sb_bytes, UnsafeMutablePointer<sb_owned_bytes>?) -> sb_status = {
    instance, request, out in
    guard let box = box(instance) else { return SB_BAD_ARGUMENT }
    return guarded(out) {
        let decoded = try JSONCoding.decode(HTTPRequest.self, from: borrowed(request))
        return try JSONCoding.encode(try box.plugin.handleHTTP(decoded))
    }
}

private let runJob: @convention(c) (OpaquePointer?, sb_bytes, UnsafeMutablePointer<sb_owned_bytes>?) -> sb_status = {
    instance, job, out in
    guard let box = box(instance) else { return SB_BAD_ARGUMENT }
    return guarded(out) {
        let decoded = try JSONCoding.decode(Job.self, from: borrowed(job))
        guard let reply = try box.plugin.runJob(decoded) else { return [] }
        return try JSONCoding.encode(reply)
    }
}

private let queryAnalytics: @convention(c) (OpaquePointer?, sb_bytes, UnsafeMutablePointer<sb_owned_bytes>?) -> sb_status = {
    instance, query, out in
    guard let box = box(instance) else { return SB_BAD_ARGUMENT }
    return guarded(out) {
        let decoded = try JSONCoding.decode(JSON.self, from: borrowed(query))
        return try JSONCoding.encode(try box.plugin.queryAnalytics(decoded))
    }
}

private let destroyInstance: @convention(c) (OpaquePointer?) -> Void = { instance in
    guard let instance else { return }
    Unmanaged<InstanceBox>.fromOpaque(UnsafeRawPointer(instance)).release()
}

private let freeBytes: @convention(c) (sb_owned_bytes) -> Void = { buffer in
    free(buffer.ptr)
}
