import Foundation
import Hummingbird
import Prometheus

/// The node's Prometheus metrics, served at `GET /metrics` in the text exposition format.
///
/// Lookups are counted and timed as they happen. Everything else (store size, gossip counters,
/// peer states) is read from the node when the endpoint is scraped, through `snapshot`, so no
/// other module needs to know about Prometheus.
public final class APIMetrics: Sendable {
    /// One gauge value read at scrape time: metric name, labels, value.
    public struct Sample: Sendable {
        public var name: String
        public var labels: [(String, String)]
        public var value: Double
        public init(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
            self.name = name
            self.labels = labels
            self.value = value
        }
    }

    let registry = PrometheusCollectorRegistry()
    let snapshot: @Sendable () async -> [Sample]
    private let lookups: [String: (Counter, DurationHistogram)]

    /// The endpoints whose requests are counted and timed.
    static let timed = ["lookup", "lookup_batch", "match_text"]

    public init(snapshot: @escaping @Sendable () async -> [Sample] = { [] }) {
        self.snapshot = snapshot
        var lookups: [String: (Counter, DurationHistogram)] = [:]
        let buckets: [Duration] = [.microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
                                   .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                                   .milliseconds(250), .seconds(1)]
        for endpoint in Self.timed {
            lookups[endpoint] = (registry.makeCounter(name: "coalition_lookup_requests_total", labels: [("endpoint", endpoint)]),
                                 registry.makeDurationHistogram(name: "coalition_lookup_duration_seconds", labels: [("endpoint", endpoint)], buckets: buckets))
        }
        self.lookups = lookups
    }

    /// Records one request to a timed endpoint.
    func record(_ endpoint: String, since start: ContinuousClock.Instant) {
        guard let (count, time) = lookups[endpoint] else { return }
        count.increment()
        time.record(ContinuousClock.now - start)
    }

    /// The exposition text, after refreshing the scrape-time gauges.
    func render() async -> [UInt8] {
        for s in await snapshot() {
            registry.makeGauge(name: s.name, labels: s.labels).set(to: s.value)
        }
        return registry.emitToBuffer()
    }
}
