import Foundation
@testable import TutorBot

/// Times `suggest_slots` over 21 days (the premium profile) against 1,000 busy events of 15 or 30 minutes
/// at random quarter hours, which leave about half of the time free.
let amsterdam = TimeZone(identifier: "Europe/Amsterdam")!
let now = Date(timeIntervalSince1970: 1_772_434_800)  // Monday 2 March 2026, 08:00 CET
/// SplitMix64 with a fixed seed: every run plans against the same busy events.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
var generator = SeededGenerator(state: 2026)
let busy = (0..<1000).map { _ -> BusyInterval in
    let start = now.addingTimeInterval(Double(Int.random(in: 0..<(21 * 96), using: &generator)) * 900)
    return BusyInterval(start: start, end: start.addingTimeInterval(Double(Int.random(in: 1...2, using: &generator)) * 900))
}
let planner = SlotPlanner(profile: PlanningProfile.defaults["premium"]!, timeZone: amsterdam)
let preferences = SlotPreferences(text: "zondagochtend of woensdagavond")
let runs = 20
var found = 0
let clock = ContinuousClock()
let elapsed = clock.measure {
    for _ in 0..<runs { found = planner.suggest(now: now, busy: busy, preferences: preferences, limit: 10_000).slots.count }
}
let (seconds, attoseconds) = (elapsed / runs).components
let millisPerRun = Double(seconds) * 1000 + Double(attoseconds) / 1e15
// One line SwitchboardBench reads into its table: `suggest_slots_ms=<mean> slots=<found>`.
print("suggest_slots_ms=\(millisPerRun) slots=\(found) runs=\(runs)")
