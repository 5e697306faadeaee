import Hummingbird
import SwitchboardJSON

extension Request {
    /// The `limit` and `cursor` query parameters as a page request; a malformed one is a 422.
    func pageRequest() throws -> PageRequest {
        var limit = 50
        if let text = uri.queryParameters.get("limit") {
            guard let value = Int(text), (1...PageRequest.maxLimit).contains(value) else {
                throw Problem(
                    status: .unprocessableContent, title: "Validation failed", detail: "limit must be 1 to \(PageRequest.maxLimit).",
                    errors: [.init(path: "limit", message: "must be an integer from 1 to \(PageRequest.maxLimit)")])
            }
            limit = value
        }
        let page = PageRequest(limit: limit, cursor: uri.queryParameters.get("cursor"))
        if (try? page.position()) == nil, page.cursor != nil {
            throw Problem(
                status: .unprocessableContent, title: "Validation failed", detail: "The cursor is not one this API issued.",
                errors: [.init(path: "cursor", message: "invalid cursor")])
        }
        return page
    }

    /// The query parameters named in `keys` that are present.
    func filters(_ keys: [String]) -> [String: String] {
        var filters: [String: String] = [:]
        for key in keys { if let value = uri.queryParameters.get(key) { filters[key] = value } }
        return filters
    }
}

extension AppRequestContext {
    /// Runs storage work for this request's tenant where it may block.
    func perform<T: Sendable>(_ work: @escaping @Sendable (Tenant) throws -> T) async throws -> T {
        let tenant = try requireTenant()
        return try await tenant.database.perform { try work(tenant) }
    }

    /// A path parameter.
    func parameter(_ name: String) throws -> String {
        try parameters.require(name)
    }
}

extension Problem {
    static func notFound(_ what: String) -> Problem {
        Problem(status: .notFound, title: "Not found", detail: "\(what) does not exist in this tenant.")
    }
}

/// Encodes a value as a JSON response.
func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    try JSONResponse(value, status: status).response()
}
