import CPluginABI
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The worker side of `isolation: process`: `switchboard plugin-worker` loads one plugin library, creates one
/// instance, and answers the host's frames (`create`, `call`, `destroy`) until the host stops it. The plugin's
/// host API calls are forwarded to the host as `host` frames and answered by `reply` frames.
enum PluginWorker {
    /// The socket to the host; set once, before the plugin runs.
    nonisolated(unsafe) private static var channel: FrameChannel!
    private static let lock = NSLock()

    static func run(library: String, descriptor: Int32) -> Never {
        channel = FrameChannel(descriptor: descriptor)
        let plugin: LoadedPlugin
        do {
            plugin = try PluginLoader.load(path: library)
        } catch {
            FileHandle.standardError.write(Data("plugin-worker: \(error)\n".utf8))
            exit(2)
        }
        var instance: OpaquePointer?
        while true {
            let frame: [[UInt8]]
            do {
                frame = try channel.receive()
            } catch {
                exit(0)  // the host went away
            }
            switch (String(decoding: frame[0], as: UTF8.self), frame.count, instance) {
            case ("create", 3, .none):
                switch plugin.createInstance(host: WorkerHostAPITable.shared, context: placeholderContext, tenant: frame[1], config: frame[2]) {
                case .created(let created):
                    instance = created
                    answer(PluginInstance.CallResult(status: SB_OK, body: []))
                case .refused(let failure):
                    answer(failure)
                }
            case ("call", 3, let instance?):
                guard let entry = PluginEntry(rawValue: String(decoding: frame[1], as: UTF8.self)) else {
                    answer(.unsupported)
                    continue
                }
                answer(plugin.invoke(entry, on: instance, frame[2]))
            case ("destroy", _, let instance):
                if let instance { plugin.destroyInstance(instance) }
                answer(PluginInstance.CallResult(status: SB_OK, body: []))
                exit(0)
            case (let operation, _, _):
                answer(.failure(SB_BAD_ARGUMENT, code: "bad_frame", message: "the worker cannot \(operation) now"))
            }
        }
    }

    /// The `sb_host_ctx` the plugin is given: the worker serves one instance, so the host knows whose it is.
    private static var placeholderContext: OpaquePointer { OpaquePointer(bitPattern: 1)! }

    private static func answer(_ result: PluginInstance.CallResult) {
        send([Array("result".utf8), [UInt8](decimal: result.status), result.body])
    }

    private static func send(_ frame: [[UInt8]]) {
        do {
            try lock.withLock { try channel.send(frame) }
        } catch {
            exit(0)  // the host went away
        }
    }

    /// Forwards one host API call and waits for the host's reply; `out`, if given, receives the reply body.
    static func forward(_ function: HostFunction, _ arguments: [[UInt8]], out: UnsafeMutablePointer<sb_owned_bytes>?) -> sb_status {
        out?.pointee = sb_owned_bytes()
        let reply: [[UInt8]]
        do {
            reply = try lock.withLock {
                try channel.send([Array("host".utf8), Array(function.rawValue.utf8)] + arguments)
                return try channel.receive()
            }
        } catch {
            exit(0)  // the host went away, or killed this call
        }
        guard reply.count == 3, reply[0] == Array("reply".utf8), let status = reply[1].decimal else { exit(3) }
        out?.pointee = hostOwned(reply[2])
        return Int32(truncatingIfNeeded: status)
    }
}
