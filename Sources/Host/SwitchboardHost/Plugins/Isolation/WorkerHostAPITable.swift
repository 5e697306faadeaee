import CPluginABI
import Foundation

/// The `sb_host_api` table a plugin gets inside a worker: every function forwards to the host
/// (`PluginWorker.forward`), which runs it with the instance's tenant binding.
enum WorkerHostAPITable {
    nonisolated(unsafe) static let shared: UnsafePointer<sb_host_api> = {
        let table = UnsafeMutablePointer<sb_host_api>.allocate(capacity: 1)
        table.initialize(to: sb_host_api(
            struct_size: UInt32(MemoryLayout<sb_host_api>.size),
            abi_major: UInt16(SB_ABI_MAJOR), abi_minor: UInt16(SB_ABI_MINOR),
            log: { _, level, message in _ = PluginWorker.forward(.log, [[UInt8](decimal: level), message.copied], out: nil) },
            now_ms: { _ in
                var out = sb_owned_bytes()
                _ = PluginWorker.forward(.nowMs, [], out: &out)
                defer { free(out.ptr) }
                return (out.ptr.map { Array(UnsafeBufferPointer(start: $0, count: out.len)) } ?? []).decimal ?? 0
            },
            store_put: { _, collection, key, value in PluginWorker.forward(.storePut, [collection.copied, key.copied, value.copied], out: nil) },
            store_get: { _, collection, key, out in PluginWorker.forward(.storeGet, [collection.copied, key.copied], out: out) },
            store_query: { _, collection, query, out in PluginWorker.forward(.storeQuery, [collection.copied, query.copied], out: out) },
            store_delete: { _, collection, key in PluginWorker.forward(.storeDelete, [collection.copied, key.copied], out: nil) },
            contact_get: { _, request, out in PluginWorker.forward(.contactGet, [request.copied], out: out) },
            contact_update: { _, request, out in PluginWorker.forward(.contactUpdate, [request.copied], out: out) },
            schedule_job: { _, job, out in PluginWorker.forward(.scheduleJob, [job.copied], out: out) },
            cancel_job: { _, selector, out in PluginWorker.forward(.cancelJob, [selector.copied], out: out) },
            list_jobs: { _, filter, out in PluginWorker.forward(.listJobs, [filter.copied], out: out) },
            send_message: { _, message, out in PluginWorker.forward(.sendMessage, [message.copied], out: out) },
            emit_event: { _, event in PluginWorker.forward(.emitEvent, [event.copied], out: nil) },
            http_request: { _, request, out in PluginWorker.forward(.httpRequest, [request.copied], out: out) },
            free_bytes: { buffer in free(buffer.ptr) },
            call: { _, method, request, out in PluginWorker.forward(.call, [method.copied, request.copied], out: out) }))
        return UnsafePointer(table)
    }()
}
