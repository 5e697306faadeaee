import Foundation

/// `suggest_slots` over 21 days with 1,000 busy events, timed by TutorBotBench (built apart, as it needs
/// TutorBot's internals: see the Makefile) and read into this table from its `suggest_slots_ms=` line.
enum SuggestSlotsBench {
    static func run(executable: String?) throws -> [BenchResult] {
        let name = "suggest_slots: 21 days, 1,000 busy events (TutorBot)"
        guard let executable, FileManager.default.isExecutableFile(atPath: executable) else {
            return [BenchResult("\(name): not run, SWITCHBOARD_BENCH_TUTORBOT names no TutorBotBench", 0, "", target: "runs", met: false)]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let fields = Dictionary(
            output.split(whereSeparator: \.isWhitespace).compactMap { word -> (String, String)? in
                let parts = word.split(separator: "=", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
            }, uniquingKeysWith: { _, last in last })
        guard let millis = fields["suggest_slots_ms"].flatMap(Double.init) else {
            throw BenchFailure("TutorBotBench printed no suggest_slots_ms= line: \(output)")
        }
        return [BenchResult("\(name), \(fields["slots"] ?? "?") slots, per run", millis, "ms", target: "< 2 ms", met: millis < 2)]
    }
}
