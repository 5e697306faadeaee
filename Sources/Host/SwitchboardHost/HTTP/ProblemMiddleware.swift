import Hummingbird
import Logging
import NIOCore

/// Turns every error into a problem+json response, so no route answers with an empty 500,
/// and logs unexpected errors with the request id.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let redirect as ConsoleRedirect {
            return try redirect.response(from: request, context: context)
        } catch let problem as Problem {
            return try problem.response(from: request, context: context)
        } catch let error as HTTPError {
            let problem = Problem(
                status: error.status, title: error.status.reasonPhrase,
                detail: error.body ?? Self.defaultDetail(error.status))
            return try problem.response(from: request, context: context)
        } catch is NIOTooManyBytesError {
            let problem = Problem(status: .contentTooLarge, title: "Content Too Large", detail: Self.defaultDetail(.contentTooLarge))
            return try problem.response(from: request, context: context)
        } catch let error as PluginInstanceError {
            let problem = Problem(status: .unprocessableContent, title: "Plugin refused the tenant", detail: error.description)
            return try problem.response(from: request, context: context)
        } catch let error as ManifestValidationError {
            return try Problem.invalidManifest(error).response(from: request, context: context)
        } catch let error as DatabaseError where error.kind == .connection || error.kind == .busy {
            // The database is away (restarting, unreachable) or saturated: the request may succeed soon.
            context.logger.warning("database unavailable", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            let problem = Problem(
                status: .serviceUnavailable, title: "Database unavailable",
                detail: "The database cannot be reached right now. Try again shortly.", retryAfterSeconds: 1)
            return try problem.response(from: request, context: context)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            let problem = Problem(
                status: .internalServerError, title: "Internal Server Error",
                detail: "The request failed on the server; quote request id \(context.id) when reporting it.")
            return try problem.response(from: request, context: context)
        }
    }

    static func defaultDetail(_ status: HTTPResponse.Status) -> String? {
        switch status {
        case .notFound: "No route matches this method and path."
        case .contentTooLarge: "The request body is larger than this endpoint accepts."
        default: nil
        }
    }
}
