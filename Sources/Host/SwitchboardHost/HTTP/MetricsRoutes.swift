import Hummingbird
import Metrics
import NIOCore
import Prometheus

/// The process's metrics, reported through swift-metrics into one Prometheus registry. The backend is
/// bootstrapped once per process, the first time the registry is used.
enum HostMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}

/// `GET /metrics`: the Prometheus text format, for the platform admin's bearer token (the figures span every
/// tenant). It holds the HTTP requests by route, method and status with their durations (Hummingbird's
/// `MetricsMiddleware`), and the jobs by kind and outcome.
struct MetricsRoutes {
    let adminToken: String?

    func register(on router: Router<AppRequestContext>) {
        router.group("/metrics").add(middleware: AdminAuthMiddleware(token: adminToken)).get { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: HostMetrics.registry.emitToBuffer())))
        }
    }
}
