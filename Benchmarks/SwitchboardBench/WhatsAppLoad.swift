import Foundation
import SwitchboardHost

/// WhatsApp Cloud API inbound webhooks for wrk. wrk's Lua has no HMAC, so the bodies are signed here
/// beforehand (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body with the app secret>`), one per
/// line of a data file, and a small Lua script replays them: each body once, every message id fresh.
struct WhatsAppLoad {
    let phoneNumberID: String
    let appSecret: String

    /// When the bodies say their messages were sent (Unix seconds): when they are written, just before the run, so the
    /// 24-hour window they open is current.
    let sentAt = Clock.nowMillis() / 1000

    /// A text message notification in the Cloud API's shape, from one of 1,000 senders.
    func body(index: Int) -> String {
        let from = "4915\(String(format: "%09d", 100_000_000 + index % 1000))"
        return """
            {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp",\
            "metadata":{"display_phone_number":"15550783881","phone_number_id":"\(phoneNumberID)"},\
            "contacts":[{"profile":{"name":"Bench \(index % 1000)"},"wa_id":"\(from)"}],\
            "messages":[{"from":"\(from)","id":"wamid.BENCH\(String(format: "%010d", index))","timestamp":"\(sentAt)","type":"text",\
            "text":{"body":"Hallo, ich hätte gern einen Termin"}}]},"field":"messages"}]}]}
            """
    }

    func signature(_ body: String) -> String {
        "sha256=" + Crypto.hex(Crypto.hmacSHA256(key: Array(appSecret.utf8), data: Array(body.utf8)))
    }

    /// Writes `count` signed bodies, numbered from `first`, as `signature<TAB>body` lines.
    func writeBodies(to file: URL, first: Int, count: Int) throws {
        var text = ""
        text.reserveCapacity(count * 700)
        for index in first..<(first + count) {
            let body = body(index: index)
            text += signature(body) + "\t" + body + "\n"
        }
        try text.write(to: file, atomically: true, encoding: .utf8)
    }

    /// The wrk script: `wrk -tT … -s script url -- <bodies file> <T>`. Thread k of T sends lines k, k+T, k+2T, …,
    /// so no two requests carry the same message id (until the lines run out and it starts over).
    /// With `rate`, the requests are paced to that many per second in all: each thread hands out send times
    /// 1000·T/rate ms apart to its connections through wrk's `delay()` (LuaJIT's FFI reads the monotonic clock),
    /// so a slow answer does not slow the rate down while a connection is free.
    static func script(host: String, rate: Int?) -> String {
        """
        local threadCount = 0
        function setup(thread)
          thread:set("threadIndex", threadCount)
          threadCount = threadCount + 1
        end
        function init(args)
          local threads = tonumber(args[2])
          requests = {}
          local line = 0
          for text in io.lines(args[1]) do
            if line % threads == threadIndex then
              local tab = string.find(text, "\t", 1, true)
              requests[#requests + 1] = wrk.format("POST", "/webhooks/whatsapp", {
                ["Host"] = "\(host)", ["Content-Type"] = "application/json",
                ["X-Hub-Signature-256"] = string.sub(text, 1, tab - 1) }, string.sub(text, tab + 1))
            end
            line = line + 1
          end
          cursor = 0
          \(rate.map { "interval = threads * 1000 / \($0)" } ?? "")
        end
        function request()
          cursor = cursor % #requests + 1
          return requests[cursor]
        end
        \(rate == nil ? "" : pacing)
        """
    }

    /// wrk's `delay()` handing out send times `interval` ms apart (at most 100 ms of backlog is caught up).
    static let pacing = """
        local ffi = require("ffi")
        ffi.cdef[[
        typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
        int clock_gettime(int clock, bench_timespec *time);
        ]]
        local clock = ffi.new("bench_timespec")
        local due = nil
        function delay()
          ffi.C.clock_gettime(1, clock)
          local now = tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
          if due == nil then due = now end
          local wait = due - now
          due = math.max(due, now - 100) + interval
          if wait < 0 then return 0 end
          return wait
        end
        """
}
