import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Gives each request an id (the caller's `X-Request-ID` if it sent a sane one), returns it
/// in the response, and writes one structured access-log line per request.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = NIODeadline.now()
        var context = context
        let requestID = request.headers[.xRequestID].flatMap { $0.count <= 64 && $0.allSatisfy(\.isASCII) ? $0 : nil } ?? context.id
        context.logger[metadataKey: "request_id"] = "\(requestID)"
        var response = try await next(request, context)
        response.headers[.xRequestID] = requestID
        let micros = (NIODeadline.now() - start).nanoseconds / 1000
        context.logger.info("request", metadata: [
            "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(response.status.code)",
            "host": "\(request.head.authority ?? "")", "duration_us": "\(micros)",
        ])
        return response
    }
}
