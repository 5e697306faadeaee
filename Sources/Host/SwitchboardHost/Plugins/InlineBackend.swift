import CPluginABI
import Foundation

/// Where a plugin instance runs: something that answers the descriptor's calls for one tenant.
protocol PluginBackend: AnyObject, Sendable {
    func call(_ entry: PluginEntry, _ input: [UInt8]) -> PluginInstance.CallResult
}

/// An instance inside the host process, called directly through the descriptor. Calls are serialised.
final class InlineBackend: PluginBackend, @unchecked Sendable {
    private let plugin: LoadedPlugin
    private let handle: OpaquePointer
    private let context: Unmanaged<HostContext>
    private let lock = NSLock()

    init(plugin: LoadedPlugin, context: HostContext, tenant: [UInt8], config: [UInt8]) throws(PluginInstanceError) {
        let retained = Unmanaged.passRetained(context)
        switch plugin.createInstance(host: HostAPITable.shared, context: OpaquePointer(retained.toOpaque()), tenant: tenant, config: config) {
        case .created(let handle):
            self.plugin = plugin
            self.handle = handle
            self.context = retained
        case .refused(let failure):
            retained.release()
            throw PluginInstanceError(pluginID: plugin.id, tenantID: context.tenantID, message: failure.errorMessage)
        }
    }

    deinit {
        lock.withLock { plugin.destroyInstance(handle) }
        context.release()
    }

    func call(_ entry: PluginEntry, _ input: [UInt8]) -> PluginInstance.CallResult {
        lock.withLock { plugin.invoke(entry, on: handle, input) }
    }
}
