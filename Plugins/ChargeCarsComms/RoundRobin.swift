/// Round-robin over a team's agents with per-agent capacity and optional skill matching.
struct RoundRobin {
    /// The agent to take the next thread, starting after the last one picked (`cursor`), and the new cursor.
    /// Agents with `skill` are preferred while one of them has room; `nil` when every agent is full.
    static func pick(_ agents: [CommsConfig.Agent], load: [String: Int], cursor: Int, skill: String?) -> (agent: CommsConfig.Agent, cursor: Int)? {
        guard !agents.isEmpty else { return nil }
        let order = (0..<agents.count).map { (cursor + 1 + $0) % agents.count }
        let free = order.filter { load[agents[$0].id, default: 0] < agents[$0].capacity }
        let skilled = skill.map { skill in free.filter { agents[$0].skills.contains(skill) } } ?? []
        guard let index = skilled.first ?? free.first else { return nil }
        return (agents[index], index)
    }
}
