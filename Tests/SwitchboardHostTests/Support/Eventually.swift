/// Polls `condition` every 50 ms until it holds; false when it never did within 30 s (a bound, not a timing
/// assertion).
func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
    for _ in 0..<600 {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return false
}
