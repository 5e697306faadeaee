import PluginAPI

/// seed 004 `communication_channel`: configured through the API. Secret configuration values are sealed
/// with the host's `secrets.seal` (AES-256-GCM, bound to the tenant) and never returned: the API only
/// names which secrets are set.
extension ChargeCarsCommsPlugin {
    struct ChannelRecord: Codable {
        var id: String
        var channelType: String
        var channelName: String
        var isActive: Bool
        var configuration: [String: JSON]
        var sealed: [String: String]
        var autoAssignmentRules: JSON
        var responseSLAHours: Double?
        var escalationRules: JSON

        enum CodingKeys: String, CodingKey {
            case id, configuration, sealed
            case channelType = "channel_type", channelName = "channel_name", isActive = "is_active"
            case autoAssignmentRules = "auto_assignment_rules", responseSLAHours = "response_sla_hours", escalationRules = "escalation_rules"
        }

        /// What the API shows: everything but the sealed values.
        var view: JSON {
            get throws {
                var json = try JSON(encoding: self).objectValue ?? [:]
                json["sealed"] = nil
                json["secrets_set"] = .array(sealed.keys.sorted().map(JSON.string))
                return .object(json)
            }
        }
    }

    /// A configuration key that holds a secret.
    static func isSecret(_ key: String) -> Bool {
        let key = key.lowercased()
        return ["secret", "token", "password", "api_key", "private"].contains { key.contains($0) }
    }

    /// `POST /api/communication/channels` (and `PUT …/{id}` with `existing`): seals the secrets, stores the rest.
    func saveChannel(_ body: JSON, existing: ChannelRecord? = nil) throws -> JSON {
        var channel = try existing ?? ChannelRecord(
            id: newID(), channelType: try Vocabulary.check(body["channel_type"]?.stringValue ?? "", in: Vocabulary.channelTypes, field: "channel_type"),
            channelName: "", isActive: true, configuration: [:], sealed: [:], autoAssignmentRules: [:], escalationRules: [:])
        channel.channelName = body["channel_name"]?.stringValue ?? (channel.channelName.isEmpty ? channel.channelType : channel.channelName)
        channel.isActive = body["is_active"]?.boolValue ?? channel.isActive
        for (key, value) in body["configuration"]?.objectValue ?? [:] {
            if Self.isSecret(key), let plaintext = value.stringValue {
                channel.sealed[key] = try host.call("secrets.seal", JSON.object(["plaintext": .string(plaintext)]))["sealed"]?.stringValue
                channel.configuration[key] = nil
            } else {
                channel.configuration[key] = value
            }
        }
        channel.autoAssignmentRules = body["auto_assignment_rules"] ?? channel.autoAssignmentRules
        channel.escalationRules = body["escalation_rules"] ?? channel.escalationRules
        channel.responseSLAHours = body["response_sla_hours"]?.doubleValue ?? channel.responseSLAHours
        try host.put(Collections.channels, channel.id, channel)
        return try channel.view
    }

    func updateChannel(_ id: String, _ body: JSON) throws -> JSON {
        guard let channel = try host.get(Collections.channels, id, as: ChannelRecord.self) else { throw PluginError.notFound("no channel \(id)") }
        return try saveChannel(body, existing: channel)
    }

    func listChannels() throws -> JSON {
        let views = try host.query(Collections.channels, as: ChannelRecord.self, limit: 500).records.map { try $0.value.view }
        return ["data": .array(views)]
    }

    /// The SLA target of a channel type: an active channel's `response_sla_hours`, else the manifest's.
    func slaTarget(_ channelType: String) throws -> Double {
        let configured = try host.query(Collections.channels, as: ChannelRecord.self, where: ["channel_type": .string(channelType), "is_active": true], limit: 1)
        return configured.records.first?.value.responseSLAHours.map { $0 * 3600 } ?? config.slaSeconds[channelType] ?? 4 * 3600
    }
}
