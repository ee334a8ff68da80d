import CoalitionQuery
import Hummingbird

/// `GET /v1/report`: the transparency report of a period, as JSON (default) or CSV.
struct ReportController: Sendable {
    let env: APIEnvironment

    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        let env = self.env
        routes.get("report") { request, context -> Response in
            try context.require(.lookup)
            let q = request.uri.queryParameters
            let format = q.get("format") ?? "json"
            guard format == "json" || format == "csv" else {
                throw Problem(.badRequest, "format is 'json' or 'csv', got '\(format.prefix(20))'", field: "format")
            }
            let period = try QueryService.reportPeriod(from: q.get("from"), to: q.get("to"))
            guard let identity = env.identity else { throw Problem(.notImplemented, "no report on this node") }
            let report = try await env.run { [query = env.query] in
                let (node, own) = identity()
                return try query.report(from: period.from, to: period.to, node: node, own: own)
            }
            var headers = HTTPFields()
            if format == "csv" {
                headers[.contentType] = "text/csv; charset=utf-8"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: report.csv())))
            }
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try context.responseEncoder.encode(report))))
        }
        return routes
    }
}
