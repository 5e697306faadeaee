import PluginAPI

extension PluginAPI.Host {
    /// Every item of a paged host service (`{data, next_cursor}`), following the cursor.
    func all(_ method: String, _ request: [String: JSON] = [:]) throws -> [JSON] {
        var items: [JSON] = [], cursor: String?
        repeat {
            var page = request
            page["limit"] = 200
            if let cursor { page["cursor"] = .string(cursor) }
            let reply = try call(method, JSON.object(page))
            items += reply["data"]?.arrayValue ?? []
            cursor = reply["next_cursor"]?.stringValue
        } while cursor != nil
        return items
    }
}
