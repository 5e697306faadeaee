import PluginAPI

/// Auto-assignment (seed 004 "Task Assignment Logic"): thread type → team, round-robin with capacity
/// inside it, and a FIFO queue per team drained as capacity frees.
extension ChargeCarsCommsPlugin {
    struct TeamQueue: Codable {
        var cursor = -1
        var queue: [String] = []
    }

    /// Open threads per agent of `team`.
    func load(of team: CommsConfig.Team) throws -> [String: Int] {
        var load: [String: Int] = [:]
        for agent in team.agents {
            let page = try host.query(Collections.threads, as: ThreadRecord.self, where: ["assigned_to_contact_id": .string(agent.id)], limit: 500)
            load[agent.id] = page.records.filter { !Vocabulary.finished.contains($0.value.status) }.count
        }
        return load
    }

    /// Routes a new thread to its team and an agent, or queues it when the team is full.
    func autoAssign(_ thread: inout ThreadRecord, text: String) throws {
        guard let teamName = config.routing[thread.threadType], let team = config.teams[teamName] else { return }
        thread.team = teamName
        thread.autoAssigned = true
        let lowered = text.lowercased()
        let skill = thread.threadType == "technical_issue" ? config.skillKeywords.first { lowered.contains($0.key) }?.value : nil
        var state = try host.get(Collections.assignment, teamName, as: TeamQueue.self) ?? TeamQueue()
        if let (agent, cursor) = RoundRobin.pick(team.agents, load: try load(of: team), cursor: state.cursor, skill: skill) {
            state.cursor = cursor
            thread.assignedToContactID = agent.id
        } else {
            state.queue.append(thread.id)
        }
        try host.put(Collections.assignment, teamName, state)
    }

    /// Assigns queued threads of `teamName`, oldest first, while an agent has room.
    func drainQueue(_ teamName: String) throws {
        guard let team = config.teams[teamName], var state = try host.get(Collections.assignment, teamName, as: TeamQueue.self) else { return }
        while let head = state.queue.first {
            guard var thread = try threads.find(head), !Vocabulary.finished.contains(thread.status) else {
                state.queue.removeFirst()
                continue
            }
            guard let (agent, cursor) = RoundRobin.pick(team.agents, load: try load(of: team), cursor: state.cursor, skill: nil) else { break }
            state.queue.removeFirst()
            state.cursor = cursor
            thread.assignedToContactID = agent.id
            try threads.save(thread)
            try announceAssignment(thread)
        }
        try host.put(Collections.assignment, teamName, state)
    }
}
