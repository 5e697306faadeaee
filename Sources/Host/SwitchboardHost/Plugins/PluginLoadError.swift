/// Why a plugin library was refused. Each case reads as one clear log line.
public enum PluginLoadError: Error, CustomStringConvertible, Sendable {
    case notALibrary(path: String, reason: String)
    case missingEntrySymbol(path: String, symbol: String)
    case entryReturnedNull(path: String)
    case abiMismatch(path: String, plugin: String, hostMajor: Int, hostMinor: Int)
    case descriptorTooSmall(path: String, size: Int, required: Int)
    case missingFunction(path: String, name: String)
    case invalidDescriptor(path: String, reason: String)
    case capabilityWithoutFunction(path: String, capability: String, function: String)
    case needsNewerHost(path: String, minor: Int, hostMajor: Int, hostMinor: Int)

    public var description: String {
        switch self {
        case .notALibrary(let path, let reason):
            "\(path) is not a loadable shared library: \(reason)"
        case .missingEntrySymbol(let path, let symbol):
            "\(path) does not export \(symbol); is it a Switchboard plugin?"
        case .entryReturnedNull(let path):
            "\(path) declined to load on this host (its entry point returned NULL)"
        case .abiMismatch(let path, let plugin, let hostMajor, let hostMinor):
            "\(path) was built for plugin ABI \(plugin), but this host speaks ABI \(hostMajor).\(hostMinor); rebuild the plugin against plugin_abi.h \(hostMajor).x"
        case .descriptorTooSmall(let path, let size, let required):
            "\(path) has a descriptor of \(size) bytes, smaller than the \(required) bytes of ABI 1.0"
        case .missingFunction(let path, let name):
            "\(path) leaves the required function \(name) NULL"
        case .invalidDescriptor(let path, let reason):
            "\(path) has an invalid descriptor: \(reason)"
        case .capabilityWithoutFunction(let path, let capability, let function):
            "\(path) declares the \(capability) capability but leaves \(function) NULL"
        case .needsNewerHost(let path, let minor, let hostMajor, let hostMinor):
            "\(path) needs host ABI ≥ \(hostMajor).\(minor), but this host speaks ABI \(hostMajor).\(hostMinor); update the host"
        }
    }
}
