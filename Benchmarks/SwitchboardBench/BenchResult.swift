import Foundation

/// One measured figure, with the target it is judged against (if any).
struct BenchResult: Encodable {
    let name: String
    let value: Double
    let unit: String
    /// A human reading of the target, e.g. "< 5 µs".
    let target: String?
    /// Whether the value meets the target; nil when there is none.
    let met: Bool?

    init(_ name: String, _ value: Double, _ unit: String, target: String? = nil, met: Bool? = nil) {
        self.name = name
        self.value = value
        self.unit = unit
        self.target = target
        self.met = met
    }

    /// The results as a table: a ✓/✗ mark, the name, the figure, its unit and the target.
    static func table(_ results: [BenchResult]) -> String {
        let width = results.map(\.name.count).max() ?? 0
        let header = "  " + "figure".padding(toLength: width, withPad: " ", startingAt: 0) + " value      unit     target"
        return ([header] + results.map { $0.row(nameWidth: width) }).joined(separator: "\n")
    }

    func row(nameWidth: Int) -> String {
        let mark = met.map { $0 ? "✓" : "✗" } ?? " "
        let figure = value >= 100 ? String(format: "%.0f", value) : String(format: "%.3g", value)
        return "\(mark) \(name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)) \(figure.padding(toLength: 10, withPad: " ", startingAt: 0)) \(unit.padding(toLength: 8, withPad: " ", startingAt: 0)) \(target ?? "")"
    }
}

/// Times `body` `iterations` times and returns the mean in nanoseconds.
func meanNanoseconds(_ iterations: Int, _ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    let elapsed = clock.measure { for _ in 0..<iterations { body() } }
    let (seconds, attoseconds) = elapsed.components
    return (Double(seconds) * 1e9 + Double(attoseconds) / 1e9) / Double(iterations)
}

/// The machine's load, reported next to the figures: the benchmarks share the cores with whatever else runs.
enum MachineLoad {
    /// The 1-minute load average from /proc/loadavg (0 where there is none).
    static func oneMinute() -> Double {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").first.flatMap { Double($0) } ?? 0
    }
}
