import CCurl
import Foundation

/// Runs libcurl transfers with its multi interface on one thread of their own, so that a provider call is awaited
/// without holding a thread: however many sends wait for slow providers, they cost one thread between them.
///
/// A caller prepares an easy handle as for `curl_easy_perform` and awaits `perform`; the handle is driven here and
/// handed back with its result. The caller keeps the handle, and everything it points at, alive until then.
final class CurlTransfers: @unchecked Sendable {
    /// The process's transfers, started on first use.
    static let shared = CurlTransfers()

    private let multi: UnsafeMutableRawPointer
    private let lock = NSLock()
    /// Guarded by `lock`: handles handed in since the loop last looked.
    private var incoming: [(handle: UnsafeMutableRawPointer, done: CheckedContinuation<CURLcode, Never>)] = []
    /// Only touched by the transfer thread: the handles it drives and who waits for each.
    private var running: [UnsafeMutableRawPointer: CheckedContinuation<CURLcode, Never>] = [:]

    private init() {
        _ = HTTPClient.globalInit
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed: libcurl is out of memory") }
        self.multi = multi
        let thread = Thread { [self] in drive() }
        thread.name = "switchboard-curl"
        thread.start()
    }

    /// Runs the prepared transfer `handle` to its end and returns libcurl's result.
    func perform(_ handle: UnsafeMutableRawPointer) async -> CURLcode {
        await withCheckedContinuation { continuation in
            lock.withLock { incoming.append((handle, continuation)) }
            curl_multi_wakeup(multi)
        }
    }

    private func takeIncoming() -> [(handle: UnsafeMutableRawPointer, done: CheckedContinuation<CURLcode, Never>)] {
        lock.withLock {
            defer { incoming.removeAll() }
            return incoming
        }
    }

    /// The transfer thread: adds new handles, lets libcurl work, hands back finished transfers, and sleeps in
    /// `curl_multi_poll` until a socket is ready, a timeout is due or a new handle arrives.
    private func drive() {
        while true {
            for transfer in takeIncoming() {
                if curl_multi_add_handle(multi, transfer.handle) == CURLM_OK {
                    running[transfer.handle] = transfer.done
                } else {
                    transfer.done.resume(returning: CURLE_FAILED_INIT)
                }
            }
            var active: Int32 = 0
            curl_multi_perform(multi, &active)
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
                let result = message.pointee.data.result
                curl_multi_remove_handle(multi, handle)
                running.removeValue(forKey: handle)?.resume(returning: result)
            }
            var ready: Int32 = 0
            curl_multi_poll(multi, nil, 0, 1000, &ready)
        }
    }
}
