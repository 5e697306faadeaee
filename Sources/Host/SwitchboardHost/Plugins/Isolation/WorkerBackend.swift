import CPluginABI
import Foundation
import Logging

/// An instance running in a worker process (`isolation: process`).
///
/// Each call is sent as a frame; while it runs, the worker forwards the plugin's host API calls, which run
/// here against the instance's tenant-bound `HostContext`. A worker that crashes, breaks the protocol or
/// takes longer than `callTimeout` is killed; until it is restarted (after a backoff that grows with each
/// failure in a row) calls answer `SB_RETRY`, which the HTTP layer turns into 503 and the scheduler into a retry.
final class WorkerBackend: PluginBackend, @unchecked Sendable {
    private let plugin: LoadedPlugin
    private let context: HostContext
    private let tenant: [UInt8]
    private let config: [UInt8]
    private let settings: IsolationSettings
    private let callTimeout: Duration
    private let lock = NSLock()
    private var worker: WorkerProcess?
    private var failuresInARow = 0
    /// When a failed worker may be started again (epoch ms, on `settings.now`).
    private var restartAt: Int64 = 0

    private struct StartFailure: Error, CustomStringConvertible {
        let description: String
    }

    init(
        plugin: LoadedPlugin, context: HostContext, tenant: [UInt8], config: [UInt8], settings: IsolationSettings,
        callTimeout: Duration
    ) throws(PluginInstanceError) {
        self.plugin = plugin
        self.context = context
        self.tenant = tenant
        self.config = config
        self.settings = settings
        self.callTimeout = callTimeout
        do {
            worker = try start()
        } catch {
            throw PluginInstanceError(pluginID: plugin.id, tenantID: context.tenantID, message: "\(error)")
        }
    }

    deinit {
        worker?.shutDown(timeout: callTimeout)
    }

    func call(_ entry: PluginEntry, _ input: [UInt8]) -> PluginInstance.CallResult {
        lock.withLock {
            guard let worker = running() else { return unavailable }
            do {
                let result = try exchange(worker, [Array("call".utf8), Array(entry.rawValue.utf8), input])
                failuresInARow = 0
                return result
            } catch {
                fail(worker, reason: "\(error)")
                return unavailable
            }
        }
    }

    private var unavailable: PluginInstance.CallResult {
        .failure(SB_RETRY, code: "plugin_unavailable", message: "plugin \(plugin.id) is restarting after a failure; try again shortly")
    }

    /// The live worker, restarting a failed one once its backoff has passed; `nil` while waiting.
    private func running() -> WorkerProcess? {
        if let worker { return worker }
        guard settings.now() >= restartAt else { return nil }
        do {
            let restarted = try start()
            worker = restarted
            context.logger.info("plugin worker restarted", metadata: ["pid": "\(restarted.pid)"])
            return restarted
        } catch {
            fail(nil, reason: "\(error)")
            return nil
        }
    }

    /// Spawns a worker for the plugin's library and creates the tenant's instance in it.
    private func start() throws(StartFailure) -> WorkerProcess {
        let process: WorkerProcess
        do {
            process = try WorkerProcess.spawn(executable: settings.workerExecutable, library: plugin.path)
        } catch {
            throw StartFailure(description: "\(error)")
        }
        do {
            let created = try exchange(process, [Array("create".utf8), tenant, config])
            guard created.ok else {
                process.stop()
                throw StartFailure(description: created.errorMessage)
            }
        } catch let failure as FrameChannel.Failure {
            throw StartFailure(description: "the worker failed to start (\(process.stop())): \(failure)")
        } catch let failure as StartFailure {
            throw failure
        } catch {
            throw StartFailure(description: "\(error)")
        }
        return process
    }

    /// Sends one request and serves the worker's host calls until its result arrives.
    private func exchange(_ process: WorkerProcess, _ request: [[UInt8]]) throws(FrameChannel.Failure) -> PluginInstance.CallResult {
        try process.channel.send(request)
        while true {
            let frame = try process.channel.receive(timeout: callTimeout)
            switch String(decoding: frame[0], as: UTF8.self) {
            case "result":
                guard frame.count == 3, let status = frame[1].decimal else { throw .malformed("a result needs a status and a body") }
                return PluginInstance.CallResult(status: Int32(truncatingIfNeeded: status), body: frame[2])
            case "host":
                guard frame.count >= 2, let function = HostFunction(rawValue: String(decoding: frame[1], as: UTF8.self)) else {
                    try process.channel.send([Array("reply".utf8), [UInt8](decimal: SB_UNSUPPORTED), []])
                    continue
                }
                let (status, body) = function.perform(Array(frame.dropFirst(2)), context: context)
                try process.channel.send([Array("reply".utf8), [UInt8](decimal: status), body])
            case let operation:
                throw .malformed("unexpected operation \(operation)")
            }
        }
    }

    /// Kills a failed worker and schedules the restart.
    private func fail(_ process: WorkerProcess?, reason: String) {
        worker = nil
        let ending = process?.stop()
        failuresInARow += 1
        let wait = settings.restartBackoff.delay(afterAttempt: failuresInARow)
        restartAt = settings.now() + wait.inMilliseconds
        context.logger.error("plugin worker failed; restarting after a backoff", metadata: [
            "reason": "\(reason)", "worker": "\(ending ?? "not started")", "backoff_ms": "\(wait.inMilliseconds)",
            "failures_in_a_row": "\(failuresInARow)",
        ])
    }
}
